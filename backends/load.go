package backends

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/autosnn/autosnn/ir/yamlerr"
)

// builtinFS holds the built-in profiles, one YAML file per chip, named
// NAME.yaml after the profile's name field.
//
//go:embed profiles/*.yaml
var builtinFS embed.FS

// Builtins returns the names of the built-in profiles, sorted.
func Builtins() []string {
	entries, err := fs.ReadDir(builtinFS, "profiles")
	if err != nil {
		panic("backends: embedded profiles missing: " + err.Error()) // a build defect
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// BuiltinSource returns the YAML text of a built-in profile, comments and
// citations included.
func BuiltinSource(name string) ([]byte, error) {
	if !nameRE.MatchString(name) {
		return nil, unknownChip(name)
	}
	data, err := builtinFS.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, unknownChip(name)
	}
	return data, nil
}

func unknownChip(name string) error {
	return fmt.Errorf("backends: unknown chip %q, want one of %s or a profile file", name, strings.Join(Builtins(), ", "))
}

// Lookup returns the Target of the built-in profile name.
func Lookup(name string) (*Target, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	file := "builtin:" + name
	p, err := Parse(data, file)
	if err != nil {
		return nil, err
	}
	if p.Name != name {
		return nil, fmt.Errorf("backends: %s: name: got %q, want %q (the file name)", file, p.Name, name)
	}
	return NewTarget(p, file)
}

// Load reads a profile file and returns its Target.
func Load(filePath string) (*Target, error) {
	data, err := os.ReadFile(filePath)
	if err != nil {
		return nil, fmt.Errorf("backends: %w", err)
	}
	p, err := Parse(data, filePath)
	if err != nil {
		return nil, err
	}
	return NewTarget(p, filePath)
}

// Resolve returns the Target for a --chip argument: a built-in name, or else
// the path of a profile file. A built-in name wins over a file of the same
// name in the working directory; write ./NAME to mean the file.
func Resolve(nameOrPath string) (*Target, error) {
	if slices.Contains(Builtins(), nameOrPath) {
		return Lookup(nameOrPath)
	}
	if _, err := os.Stat(nameOrPath); err == nil || strings.ContainsAny(nameOrPath, `/\.`) {
		return Load(nameOrPath)
	}
	return nil, unknownChip(nameOrPath)
}

// Parse decodes and validates one profile YAML document. Unknown fields are
// errors. file names the source in errors (a path or "builtin:NAME").
func Parse(data []byte, file string) (*Profile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Profile
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("backends: %s: empty file, want a chip profile", file)
		}
		var ye *yamlerr.Error
		if errors.As(yamlerr.Explain(err, data, Profile{}), &ye) {
			return nil, fmt.Errorf("backends: %s: %w", file, ye)
		}
		return nil, fmt.Errorf("backends: %s: %w", file, err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("backends: %s: got more than one YAML document, want one profile", file)
	}
	// The document decoded; read it again as a node tree to refuse
	// integer fields that the decoder truncated (1024.5 -> 1024) and to
	// put line numbers on the validation problems.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("backends: %s: %w", file, err)
	}
	if probs := integerProblems(&root, reflect.TypeFor[Profile](), ""); len(probs) > 0 {
		return nil, &ProfileError{File: file, Problems: probs}
	}
	if err := p.Validate(file); err != nil {
		var pe *ProfileError
		if errors.As(err, &pe) {
			lines := fieldLines(&root)
			for i := range pe.Problems {
				pe.Problems[i].Line = lineOf(lines, pe.Problems[i].Field)
			}
		}
		return nil, err
	}
	return &p, nil
}

// Marshal encodes p as YAML in the schema's field order. The output parses
// back to an equal Profile (comments of the original file are not kept).
func Marshal(p *Profile) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("backends: marshal profile %q: %w", p.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("backends: marshal profile %q: %w", p.Name, err)
	}
	return buf.Bytes(), nil
}
