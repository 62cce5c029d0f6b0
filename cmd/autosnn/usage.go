package main

// This file turns urfave/cli's answers to a mistyped command line into one
// line with a suggestion: an unknown command or sub-command, an unknown
// flag, a flag value that does not parse, and positional arguments given to
// a command that takes none.

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/ir/yamlerr"
)

// withUsageErrors installs the usage-error hooks on app and on every
// command of its tree, refuses positional arguments on every command that
// declares none (ArgsUsage "" or " " and no sub-commands), and checks
// required flags itself (urfave/cli prints the whole help with its error).
func withUsageErrors(app *cli.App) *cli.App {
	app.OnUsageError = usageError("", app.Flags)
	app.Action = unknownSub("", app.Commands, func(c *cli.Context) error { return cli.ShowAppHelp(c) })
	app.CommandNotFound = func(c *cli.Context, name string) {
		fmt.Fprintf(c.App.ErrWriter, "autosnn: %v\n", unknownCommand("", name, app.Commands))
	}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			name := strings.TrimSpace(path + " " + cmd.Name)
			cmd.OnUsageError = usageError(name, cmd.Flags)
			switch {
			case len(cmd.Subcommands) > 0:
				if cmd.Action == nil {
					cmd.Action = unknownSub(name, cmd.Subcommands, func(c *cli.Context) error { return cli.ShowSubcommandHelp(c) })
				}
				walk(name, cmd.Subcommands)
			case cmd.Action != nil:
				cmd.Action = leafAction(name, cmd)
			}
		}
	}
	walk("", app.Commands)
	return app
}

// leafAction wraps the action of a command without sub-commands: first
// the positional-argument check (an argument stops flag parsing, so it
// explains a "missing" flag after it), then the required flags, which it
// takes over from urfave/cli.
func leafAction(name string, cmd *cli.Command) cli.ActionFunc {
	var required []string
	for _, f := range cmd.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Required {
			sf.Required = false
			required = append(required, sf.Name)
		}
	}
	takesArgs := strings.TrimSpace(cmd.ArgsUsage) != ""
	action := cmd.Action
	return func(c *cli.Context) error {
		if !takesArgs {
			if err := noArgs(c); err != nil {
				return err
			}
		}
		for _, f := range required {
			if !c.IsSet(f) {
				return fmt.Errorf("%s: %s is required (see autosnn %s --help)", name, dashes(f), name)
			}
		}
		return action(c)
	}
}

// unknownSub is the action of a command that only groups sub-commands:
// an argument is a misspelt sub-command; none shows help.
func unknownSub(name string, subs []*cli.Command, help cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 0 {
			return help(c)
		}
		if c.Args().First() == "help" { // "autosnn help [CMD]"
			switch topic := c.Args().Get(1); {
			case topic == "":
				return help(c)
			case c.Command.Command(topic) != nil && c.NArg() == 2:
				return cli.ShowCommandHelp(c, topic)
			case c.NArg() == 2:
				return unknownCommand(name, topic, subs)
			}
			return fmt.Errorf("help: want at most one command, got %q", c.Args().Slice()[1:])
		}
		return unknownCommand(name, c.Args().First(), subs)
	}
}

// unknownCommand is the error of an unknown (sub-)command with the
// nearest name when one is close.
func unknownCommand(parent, got string, cmds []*cli.Command) error {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	what, help := "command", "autosnn --help"
	if parent != "" {
		what, help = parent+" sub-command", "autosnn "+parent+" --help"
	}
	if s := yamlerr.Nearest(got, names); s != "" {
		return fmt.Errorf("unknown %s %q; did you mean %q? (list: %s)", what, got, s, help)
	}
	return fmt.Errorf("unknown %s %q (list: %s)", what, got, help)
}

// usageError rewrites a flag-parsing error of command name (a path such
// as "data inspect", "" for the application) as one line naming the flag, with the nearest flag
// name for an unknown one.
func usageError(name string, flags []cli.Flag) cli.OnUsageErrorFunc {
	prefix, help := name+": ", "autosnn "+name+" --help"
	if name == "" {
		prefix, help = "", "autosnn --help"
	}
	return func(c *cli.Context, err error, _ bool) error {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			f = strings.TrimLeft(f, "-")
			var names []string
			for _, fl := range flags {
				if vf, ok := fl.(cli.VisibleFlag); ok && !vf.IsVisible() {
					continue
				}
				names = append(names, fl.Names()...)
			}
			names = append(names, "help")
			if s := yamlerr.Nearest(f, names); s != "" {
				return fmt.Errorf("%sunknown flag %s; did you mean %s? (see %s)", prefix, dashes(f), dashes(s), help)
			}
			return fmt.Errorf("%sunknown flag %s (see %s)", prefix, dashes(f), help)
		}
		// The flag package names flags with one dash: "invalid value "x"
		// for flag -epochs: parse error", "flag needs an argument: -out".
		for _, w := range strings.Fields(msg) {
			if strings.HasPrefix(w, "-") && !strings.HasPrefix(w, "--") && len(w) > 2 {
				msg = strings.Replace(msg, w, "-"+w, 1)
			}
		}
		return fmt.Errorf("%s%s (see %s)", prefix, msg, help)
	}
}

// dashes writes a flag name as the help does: -C, --epochs.
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}
