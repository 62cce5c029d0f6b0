package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/engine/train"
)

// isTerminal says whether progress written to w reaches a terminal
// (tests replace it).
var isTerminal = train.IsTerminal

// globalFlags are the flags every command sees, given before or after the
// command name (autosnn --progress=plain demo, autosnn demo --quiet).
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "quiet", Usage: use("quiet")},
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: use("progress")},
	}
}

// lookup returns the context where flag name was set: the command's, else
// the nearest parent's up to the global flags.
func lookup(c *cli.Context, name string) (*cli.Context, bool) {
	for _, cc := range c.Lineage() {
		for _, n := range cc.LocalFlagNames() {
			if n == name {
				return cc, true
			}
		}
	}
	return nil, false
}

// quiet reports whether --quiet was given, on the command or globally.
func quiet(c *cli.Context) bool {
	qc, set := lookup(c, "quiet")
	return set && qc.Bool("quiet")
}

// progressMode is the one decision of how progress is shown: --quiet or
// --progress (on the command or global), "auto" giving bars on a terminal
// and plain lines on a pipe or a file.
func progressMode(c *cli.Context) (train.ProgressMode, error) {
	mode := "auto"
	pc, set := lookup(c, "progress")
	if set {
		mode = pc.String("progress")
	}
	m, err := train.ParseProgressMode(mode, isTerminal(c.App.ErrWriter))
	if err != nil {
		return train.ProgressNone, fmt.Errorf("--progress: %w", err)
	}
	if quiet(c) {
		if set && m != train.ProgressNone {
			return train.ProgressNone, fmt.Errorf("--quiet and --progress=%s: give one of them", mode)
		}
		return train.ProgressNone, nil
	}
	return m, nil
}

// progress returns where a command shows progress: the app's error writer
// (stderr) in the mode progressMode decides, or nil (no progress).
func progress(c *cli.Context) *train.Progress {
	m, err := progressMode(c)
	if err != nil { // refused before the action ran (checked)
		return nil
	}
	return train.NewProgress(c.App.ErrWriter, m)
}

// progressLog returns the writer of a command's progress-like log lines
// (the compiler's passes inside lambda): stderr, or nil when progress is
// off.
func progressLog(c *cli.Context) io.Writer {
	if m, err := progressMode(c); err != nil || m == train.ProgressNone {
		return nil
	}
	return c.App.ErrWriter
}

// checked wraps the action of every command (and sub-command) of cmds: the
// progress flags are checked before any work starts, and an interrupted
// training run's error gets the command that resumes it.
func checked(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		checked(cmd.Subcommands)
		act := cmd.Action
		if act == nil {
			continue
		}
		name := cmd.Name
		cmd.Action = func(c *cli.Context) error {
			if _, err := progressMode(c); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return resumeHint(c, act(c))
		}
	}
	return cmds
}

// resumeHint adds to the error of an interrupted run that wrote a
// checkpoint the exact command that continues it: this command line with
// --resume, when the command has that flag.
func resumeHint(c *cli.Context, err error) error {
	var ie *train.Interrupted
	if !errors.As(err, &ie) || ie.Checkpoint == "" {
		return err
	}
	has := false
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			has = has || n == "resume"
		}
	}
	if !has {
		return err
	}
	args := commandLine(c)
	if !c.Bool("resume") {
		args = append(args, "--resume")
	}
	return fmt.Errorf("%w\nresume with: %s", err, strings.Join(args, " "))
}

// commandLine returns the command line that ran c, shell-quoted: the
// program, the global flags that were set, the command and its arguments.
func commandLine(c *cli.Context) []string {
	root := c // the app's context: the outermost one with a command
	for _, cc := range c.Lineage() {
		if cc.Command != nil {
			root = cc
		}
	}
	line := []string{c.App.Name}
	for _, f := range globalFlags() {
		n := f.Names()[0]
		for _, set := range root.LocalFlagNames() {
			if set == n {
				if _, ok := f.(*cli.BoolFlag); ok {
					line = append(line, "--"+n)
				} else {
					line = append(line, "--"+n+"="+root.String(n))
				}
			}
		}
	}
	for _, a := range root.Args().Slice() {
		line = append(line, shellQuote(a))
	}
	return line
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_=./,:+@%.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./,:+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
