package main

import (
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"train", "train", 0}, {"trian", "train", 1}, {"epoch", "epochs", 1},
		{"chanels", "channels", 1}, {"simulte", "simulate", 1}, {"abc", "", 3}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	cmds := []string{"zoo", "show", "data", "train", "eval", "supernet", "search", "chips", "compile", "simulate", "lambda", "demo"}
	for got, want := range map[string]string{
		"trian": "train", "serach": "search", "compiel": "compile", "Train": "train", "evla": "eval",
		"xyzzy": "", "t": "", "superb": "", "lamda": "lambda",
	} {
		if s := nearest(got, cmds); s != want {
			t.Errorf("nearest(%q) = %q, want %q", got, s, want)
		}
	}
}

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
