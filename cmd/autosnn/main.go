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
	"fmt"
	"os"
	"os/signal"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := newApp().RunContext(ctx, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "autosnn:", err)
		os.Exit(1)
	}
}

// newApp builds the command tree. Each command lives in its own file and is
// listed here once. withUsageErrors installs the hooks that answer a
// mistyped command, flag or argument with one line (usage.go).
func newApp() *cli.App {
	app := &cli.App{
		Name:  "autosnn",
		Usage: "search, train, compile and simulate energy-efficient spiking neural networks",
		Commands: []*cli.Command{
			// Commands are added here, one line each, in the order of the mission:
			// model description, data, training, search, compiling, simulation.
			zooCommand(),
			showCommand(),
			dataCommand(),
			trainCommand(), evalCommand(),
			supernetCommand(), searchCommand(),
			chipsCommand(),
			compileCommand(),
			simulateCommand(),
			lambdaCommand(), demoCommand(),
		},
		HideHelpCommand: true,
	}
	guardMemory(app.Commands)
	return withUsageErrors(app)
}
