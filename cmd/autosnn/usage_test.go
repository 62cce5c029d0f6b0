package main

import (
	"strings"
	"testing"
)

// TestEveryCommandRefusesArguments: every command without sub-commands
// and without declared arguments refuses one (issue #19), before its own
// checks and required flags.
func TestEveryCommandRefusesArguments(t *testing.T) {
	for _, cmd := range newApp().Commands {
		if len(cmd.Subcommands) > 0 || cmd.ArgsUsage != "" && cmd.ArgsUsage != " " {
			continue
		}
		_, err := runApp(t, cmd.Name, "stray")
		if want := cmd.Name + `: unexpected argument "stray"`; err == nil || err.Error()[:min(len(err.Error()), len(want))] != want {
			t.Errorf("autosnn %s stray: got %v, want %q", cmd.Name, err, want)
		}
	}
}

func TestHelpCommand(t *testing.T) {
	for args, want := range map[string]string{"help": "USAGE:", "help train": "autosnn train - train", "data help inspect": "autosnn data inspect - print"} {
		out, err := runApp(t, strings.Fields(args)...)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("autosnn %s: %v, want output containing %q:\n%s", args, err, want, out)
		}
	}
}
