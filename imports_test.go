package autosnn_test

// The import rules of the module's layout (docs/design.md): the compiler
// and simulator never depend on the NAS or the training engine, the IR
// depends on no other package of the module, and no package imports a
// command.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/autosnn/autosnn"

// compilerTrees are the directories whose packages must not depend on any
// package under search/.
var compilerTrees = []string{"passes", "sim", "backends", "ir", "frontend"}

// listedPackage is the part of `go list -json` the rules read.
type listedPackage struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
	Deps                               []string
}

// rel returns p relative to the module ("" for the module root) and
// whether p is in the module.
func rel(p string) (string, bool) {
	if p == module {
		return "", true
	}
	r, ok := strings.CutPrefix(p, module+"/")
	return r, ok
}

// under reports whether the module-relative path r is dir or below it.
func under(r, dir string) bool { return r == dir || strings.HasPrefix(r, dir+"/") }

// importViolations returns every broken import rule in pkgs, one message
// per (package, offending dependency).
func importViolations(pkgs []listedPackage) []string {
	var bad []string
	for _, p := range pkgs {
		r, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			dr, ok := rel(d)
			if !ok {
				continue
			}
			for _, tree := range compilerTrees {
				if under(r, tree) && under(dr, "search") {
					bad = append(bad, fmt.Sprintf("%s depends on %s, want no search package under %s/", r, dr, tree))
				}
			}
			if under(r, "ir") && !under(dr, "ir") {
				bad = append(bad, fmt.Sprintf("%s depends on %s, want ir to depend on no other package of the module", r, dr))
			}
		}
		for _, list := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, d := range list {
				if dr, ok := rel(d); ok && under(dr, "cmd") {
					bad = append(bad, fmt.Sprintf("%s imports %s, want no package importing a command", r, dr))
				}
			}
		}
	}
	slices.Sort(bad)
	return slices.Compact(bad)
}

// goList runs `go list -json` on the module's packages.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(goCmd); err != nil {
		if goCmd, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to list the packages")
		}
	}
	cmd := exec.Command(goCmd, "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports,Deps", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestImportRules(t *testing.T) {
	pkgs := goList(t)
	// Not vacuous: every tree the rules name has packages, and the search
	// packages they forbid are in the list under the expected paths.
	found := map[string]int{}
	seen := map[string]bool{}
	for _, p := range pkgs {
		r, ok := rel(p.ImportPath)
		if !ok {
			t.Errorf("package %s is outside module %s", p.ImportPath, module)
			continue
		}
		seen[r] = true
		found[strings.SplitN(r, "/", 2)[0]]++
	}
	for _, tree := range append(slices.Clone(compilerTrees), "search", "cmd") {
		if found[tree] == 0 {
			t.Errorf("go list found no package under %s/ (found %v)", tree, found)
		}
	}
	for _, p := range []string{"ir", "frontend", "passes", "sim", "search/engine/train", "search/supernet", "cmd/autosnn"} {
		if !seen[p] {
			t.Errorf("go list did not list %s", p)
		}
	}
	for _, v := range importViolations(pkgs) {
		t.Error(v)
	}
	// The top level is the one the project was asked for: every package
	// lives under one of these folders (the module root holds only this
	// test).
	top := append(slices.Clone(compilerTrees), "search", "cmd", "")
	for r := range seen {
		if first := strings.SplitN(r, "/", 2)[0]; !slices.Contains(top, first) {
			t.Errorf("package %s is under top-level folder %s/, want one of %v", r, first, top[:len(top)-1])
		}
	}
}

// TestImportRulesCatch checks that the checker reports each kind of
// violation, so that TestImportRules cannot pass by checking nothing.
func TestImportRulesCatch(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := []listedPackage{
		{ImportPath: m("passes"), Deps: []string{m("ir"), m("search/engine/train"), "fmt"}},
		{ImportPath: m("sim"), Deps: []string{m("search")}},
		{ImportPath: m("ir"), Deps: []string{m("frontend"), "gopkg.in/yaml.v3"}},
		{ImportPath: m("search/pipeline"), Imports: []string{m("cmd/autosnn")}},
		{ImportPath: m("backends"), XTestImports: []string{m("cmd/tool")}},
		{ImportPath: m("search/pipeline/internal/metisbench"), Deps: []string{m("search/dataset"), m("passes")}},
		{ImportPath: m("search/supernet"), Deps: []string{m("search/engine/train"), m("frontend")}},
	}
	want := []string{
		"backends imports cmd/tool, want no package importing a command",
		"ir depends on frontend, want ir to depend on no other package of the module",
		"passes depends on search/engine/train, want no search package under passes/",
		"search/pipeline imports cmd/autosnn, want no package importing a command",
		"sim depends on search, want no search package under sim/",
	}
	if got := importViolations(pkgs); !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
