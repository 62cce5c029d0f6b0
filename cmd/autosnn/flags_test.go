package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/autosnn/autosnn/search/pipeline"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the command tree")

// flagUse is one flag of one command.
type flagUse struct {
	cmd    string // command path, e.g. "chips show"
	name   string
	typ    string // the flag's Go type, e.g. *cli.IntFlag
	usage  string
	hidden bool
}

// flagUses lists every flag of every command of the app, by command path.
func flagUses() []flagUse {
	var out []flagUse
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			for _, f := range c.Flags {
				u := flagUse{cmd: path, name: f.Names()[0], typ: fmt.Sprintf("%T", f)}
				if d, ok := f.(cli.DocGenerationFlag); ok {
					u.usage = d.GetUsage()
				}
				if v, ok := f.(cli.VisibleFlag); ok {
					u.hidden = !v.IsVisible()
				}
				out = append(out, u)
			}
			walk(path, c.Subcommands)
		}
	}
	walk("", newApp().Commands)
	return out
}

// TestFlagVocabulary: a flag name means the same in every command that
// takes it: the same type, and a usage text that is the vocabulary's
// meaning, optionally followed by "; " and what it does in that command.
func TestFlagVocabulary(t *testing.T) {
	byName := map[string][]flagUse{}
	for _, u := range flagUses() {
		if !u.hidden {
			byName[u.name] = append(byName[u.name], u)
		}
	}
	for name, uses := range byName {
		meaning, ok := vocabulary[name]
		if len(uses) > 1 && !ok {
			t.Errorf("--%s is taken by %d commands but has no meaning in the vocabulary", name, len(uses))
			continue
		}
		for _, u := range uses {
			if u.typ != uses[0].typ {
				t.Errorf("--%s is a %s in %s but a %s in %s", name, u.typ, u.cmd, uses[0].typ, uses[0].cmd)
			}
			if ok && u.usage != meaning && !strings.HasPrefix(u.usage, meaning+"; ") {
				t.Errorf("%s --%s: usage %q, want the vocabulary's %q (then \"; \" and details)", u.cmd, name, u.usage, meaning)
			}
		}
	}
	for name := range vocabulary {
		if len(byName[name]) == 0 {
			t.Errorf("vocabulary entry --%s: no command takes it", name)
		}
	}
}

// TestHelpHasNoPlaceholders: urfave/cli turns a back-quoted word in a
// usage text into the flag's value placeholder (--chip autosnn chips), so
// usage texts hold none.
func TestHelpHasNoPlaceholders(t *testing.T) {
	for _, u := range flagUses() {
		if strings.Contains(u.usage, "`") {
			t.Errorf("%s --%s: usage %q has a back-quote", u.cmd, u.name, u.usage)
		}
	}
	out, err := runApp(t, "compile", "--help")
	if err != nil || !strings.Contains(out, "--chip value") {
		t.Errorf("compile --help: %v, want --chip value:\n%s", err, out)
	}
}

// TestRenamedFlags: an old flag name still works, sets the new flag, and
// refuses to be given together with it.
func TestRenamedFlags(t *testing.T) {
	base := []string{"compile", "--model", "autosnn", "--C", "4", "--random-weights", "1", "--chip", "loihi2", "--stop-after", "lower-ops", "--quiet"}
	out, err := runApp(t, append(base, "--samples", "0", "--out", t.TempDir())...)
	if err != nil || !strings.Contains(out, "stopped after lower-ops") {
		t.Errorf("compile --samples 0: %v\n%s", err, out)
	}
	_, err = runApp(t, append(base, "--samples", "0", "--profile-samples", "1", "--out", t.TempDir())...)
	if err == nil || !strings.Contains(err.Error(), "--samples is the old name of --profile-samples") {
		t.Errorf("compile --samples --profile-samples: got %v, want an error naming both", err)
	}
}

// TestDemoCommands: every command line the demo report gives names a
// command of the app and only its visible flags.
func TestDemoCommands(t *testing.T) {
	flags := map[string]map[string]bool{}
	for _, u := range flagUses() {
		if flags[u.cmd] == nil {
			flags[u.cmd] = map[string]bool{}
		}
		flags[u.cmd][u.name] = !u.hidden
	}
	for _, c := range pipeline.DemoCommands(pipeline.DefaultDemoConfig(), "SRB_k3,SRB_k5") {
		if flags[c.Name] == nil {
			t.Errorf("demo command %q: no such command", c)
			continue
		}
		for _, f := range c.Flags {
			if !flags[c.Name][f.Name] {
				t.Errorf("demo command %q: %s has no visible flag --%s", c, c.Name, f.Name)
			}
		}
	}
}

// TestCLIDoc: docs/cli.md is the vocabulary and the command tree
// (go test ./cmd/autosnn -run CLIDoc -update rewrites it).
func TestCLIDoc(t *testing.T) {
	const path = "../../docs/cli.md"
	want := cliDoc()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/cli.md is stale; run go test ./cmd/autosnn -run CLIDoc -update")
	}
}

// cliDoc renders docs/cli.md.
func cliDoc() string {
	var b strings.Builder
	b.WriteString(`# The flag vocabulary of autosnn

Every flag name means one thing in every command that takes it, with the same values and units.
The table lists every flag: its meaning (for a flag several commands take, the meaning they share,
from ` + "`vocabulary`" + ` in cmd/autosnn/flags.go), and the commands that take it, each with what the flag
does there when it says more. A test (TestFlagVocabulary) checks the commands against the
vocabulary and this file against both (TestCLIDoc; ` + "`go test ./cmd/autosnn -run CLIDoc -update`" + `
rewrites it). ` + "`autosnn COMMAND --help`" + ` shows the same texts.

Splits: train is the first 80% of the training set (D_train), val the last 20% (D_val), full-train
all of it, test the test set. Energies are per inference in pJ unless a unit is given; latencies in
ns.

| flag | meaning, values and units | commands |
|---|---|---|
`)
	uses := flagUses()
	byName := map[string][]flagUse{}
	var names []string
	var renamed []string
	for _, u := range uses {
		if u.hidden {
			renamed = append(renamed, fmt.Sprintf("| `--%s` | %s | %s |", u.name, strings.TrimPrefix(u.usage, "old name of "), u.cmd))
			continue
		}
		if byName[u.name] == nil {
			names = append(names, u.name)
		}
		byName[u.name] = append(byName[u.name], u)
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, n := range names {
		meaning, ok := vocabulary[n]
		var cmds []string
		for _, u := range byName[n] {
			c := "`" + u.cmd + "`"
			switch {
			case !ok:
				meaning = u.usage
			case u.usage != meaning:
				c += ": " + strings.TrimPrefix(u.usage, meaning+"; ")
			}
			cmds = append(cmds, c)
		}
		fmt.Fprintf(&b, "| `--%s` | %s | %s |\n", n, esc(meaning), esc(strings.Join(cmds, "; ")))
	}
	slices.Sort(renamed)
	b.WriteString("\nOld names, still accepted (hidden from --help) so that recorded command lines keep working:\n\n" +
		"| old flag | now | command |\n|---|---|---|\n")
	b.WriteString(strings.Join(renamed, "\n") + "\n")
	return b.String()
}

// TestDocCommands: every `autosnn COMMAND --flag` in README.md and docs/
// names a command and its visible flags (the vocabulary, not old names).
func TestDocCommands(t *testing.T) {
	visible := map[string]bool{}
	cmds := map[string]bool{}
	for _, u := range flagUses() {
		cmds[u.cmd] = true
		if !u.hidden {
			visible[u.cmd+" --"+u.name] = true
		}
	}
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	line := regexp.MustCompile("autosnn ([a-z]+(?: [a-z]+)?)([^`&|\n]*)")
	flagRE := regexp.MustCompile(`(?:^|\s)--([A-Za-z][a-z0-9-]*)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "\\\n", " ")
		for _, m := range line.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if !cmds[name] {
				name = strings.Fields(name)[0]
			}
			if !cmds[name] {
				continue // prose such as "autosnn is"
			}
			for _, fm := range flagRE.FindAllStringSubmatch(m[2], -1) {
				if fm[1] != "help" && !visible[name+" --"+fm[1]] {
					t.Errorf("%s: autosnn %s has no flag --%s: %s", filepath.Base(f), name, fm[1], strings.TrimSpace(m[0]))
				}
			}
		}
	}
}
