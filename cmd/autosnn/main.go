// Command autosnn searches energy-efficient spiking neural networks with the
// AutoSNN method, trains them, compiles them onto multi-core network-on-chip
// neuromorphic chips and simulates them on a virtual chip.
//
// Every subcommand is a thin layer over the packages of this module: it parses
// flags, calls a package, and prints. Bad input ends the program with a
// non-zero exit code and one line naming what was wrong.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// exitInterrupted is the exit code of a run stopped by Ctrl-C or SIGTERM
// (128 + SIGINT, as a shell reports it).
const exitInterrupted = 130

func main() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) }

// run runs the app on args and returns the exit code. It runs under a
// context that Ctrl-C (SIGINT) and SIGTERM cancel: a training run stops at
// its next batch, writes the checkpoint of that point and says how to
// resume. A second signal ends the process at once (the default action,
// restored after the first).
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	if err := app.RunContext(ctx, args); err != nil {
		fmt.Fprintln(stderr, "autosnn:", err)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return exitInterrupted
		}
		return 1
	}
	return 0
}

// newApp builds the command tree. Each command lives in its own file and is
// listed here once. withUsageErrors installs the hooks that answer a
// mistyped command, flag or argument with one line (usage.go).
func newApp() *cli.App {
	app := &cli.App{
		Name:  "autosnn",
		Usage: "search, train, compile and simulate energy-efficient spiking neural networks",
		Flags: globalFlags(),
		Commands: checked([]*cli.Command{
			// Commands are added here, one line each, in the order of the mission:
			// model description, data, training, search, compiling, simulation.
			zooCommand(),
			showCommand(),
			dataCommand(),
			trainCommand(), evalCommand(),
			supernetCommand(), searchCommand(),
			chipsCommand(),
			compileCommand(),
			exportCommand(),
			simulateCommand(),
			lambdaCommand(), demoCommand(),
			experimentsCommand(),
			workerCommand(), fleetCommand(),
		}),
		HideHelpCommand: true,
	}
	guardMemory(app.Commands)
	return withUsageErrors(app)
}
