// Package yamlerr turns the errors of gopkg.in/yaml.v3 into messages a
// person who wrote the YAML can act on: each names the line and the YAML
// key, never a Go type ("field chanels not found in type frontend.Spec"
// becomes "unknown key chanels; did you mean channels?"), and an unclosed
// flow list or mapping is reported at the line that opened it (yaml.v3
// reports such parser errors one line early, often at line 1).
package yamlerr

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a YAML document: Line is 1-based (0 when
// unknown), Msg names the key.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

var (
	lineRe      = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	notFoundRe  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	unmarshalRe = regexp.MustCompile("^cannot unmarshal !!(\\w+) (?:`(.*)` )?into (\\S+)$")
)

// Explain rewrites err, returned by yaml.Unmarshal or a yaml.Decoder
// decoding data into a value of type like target (a pointer or value of the
// Go type; its yaml tags are the known keys suggested for a misspelt one),
// as an *Error. Errors that are not yaml.v3's are returned unchanged. Of
// several type errors the first is returned.
func Explain(err error, data []byte, target any) error {
	if err == nil {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return explainType(te.Errors[0], data, target)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "yaml: ") {
		return err
	}
	if line, kind := unclosed(data); line > 0 {
		return &Error{Line: line, Msg: fmt.Sprintf("the flow %s opened here is not closed (want %s)", kind, closer(kind))}
	}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &Error{Line: n, Msg: m[2]}
	}
	return &Error{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// explainType rewrites one yaml.v3 type-error line.
func explainType(s string, data []byte, target any) error {
	m := lineRe.FindStringSubmatch(s)
	if m == nil {
		return &Error{Msg: s}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	if f := notFoundRe.FindStringSubmatch(rest); f != nil {
		msg := "unknown key " + f[1]
		if s := Nearest(f[1], Keys(target)); s != "" {
			msg += "; did you mean " + s + "?"
		}
		return &Error{Line: line, Msg: msg}
	}
	if u := unmarshalRe.FindStringSubmatch(rest); u != nil {
		what := map[string]string{"seq": "a list", "map": "a mapping"}[u[1]]
		if u[2] != "" {
			what = strconv.Quote(u[2])
		} else if what == "" {
			what = "a " + u[1]
		}
		if target != nil && u[3] == reflect.TypeOf(target).String() {
			return &Error{Line: line, Msg: fmt.Sprintf("the document is %s, want a mapping of keys", what)}
		}
		w := want(u[3])
		key := keyAt(data, line, w != "a list" && w != "a mapping" && w != "a mapping of the expected keys")
		msg := fmt.Sprintf("%s is not %s", what, w)
		if key != "" {
			msg = key + ": " + msg
		}
		return &Error{Line: line, Msg: msg}
	}
	return &Error{Line: line, Msg: rest}
}

// want describes a Go type as YAML: "an integer", "a list", ...
func want(goType string) string {
	t := strings.TrimLeft(goType, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	case t == "string":
		return "a string"
	}
	return "a mapping of the expected keys"
}

// keyAt returns the dotted path of the key whose value starts on line
// (1-based) in data, or "": a scalar value when scalar is true (the Go
// side wanted a number, a string, ...), else a list or mapping.
func keyAt(data []byte, line int, scalar bool) string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return ""
	}
	var walk func(n *yaml.Node, path string) string
	walk = func(n *yaml.Node, path string) string {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p := walk(c, path); p != "" {
					return p
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if v.Line == line && (v.Kind == yaml.ScalarNode) == scalar {
					return p
				}
				if q := walk(v, p); q != "" {
					return q
				}
				if k.Line == line {
					return p
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Line == line && (c.Kind == yaml.ScalarNode) == scalar {
					return p
				}
				if q := walk(c, p); q != "" {
					return q
				}
			}
		}
		return ""
	}
	return walk(&root, "")
}

// unclosed scans data for a flow list ([) or mapping ({) that is never
// closed, outside quotes and comments, and returns the 1-based line of the
// outermost one and "list" or "mapping"; 0 when every one is closed.
func unclosed(data []byte) (int, string) {
	type open struct {
		line int
		ch   byte
	}
	var stack []open
	line := 1
	var quote byte
	comment := false
	for i := 0; i < len(data); i++ {
		ch := data[i]
		if ch == '\n' {
			line++
			comment = false
			if quote == 0 {
				continue
			}
		}
		switch {
		case comment:
		case quote != 0:
			if ch == '\\' && quote == '"' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			comment = true
		case (ch == '"' || ch == '\'') && (len(stack) > 0 || i == 0 || strings.ContainsRune(" \t:\n-,[{", rune(data[i-1]))):
			quote = ch
		case ch == '[' || ch == '{':
			stack = append(stack, open{line, ch})
		case (ch == ']' || ch == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return 0, ""
	}
	if stack[0].ch == '[' {
		return stack[0].line, "list"
	}
	return stack[0].line, "mapping"
}

func closer(kind string) string {
	if kind == "list" {
		return "]"
	}
	return "}"
}

// Keys lists the yaml keys of the struct type of v (through pointers,
// slices and maps, recursively), sorted; nil for a non-struct.
func Keys(v any) []string {
	seen := map[string]bool{}
	visited := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || visited[t] {
			return
		}
		visited[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if !strings.Contains(f.Tag.Get("yaml"), "inline") {
				seen[name] = true
			}
			walk(f.Type)
		}
	}
	if v != nil {
		walk(reflect.TypeOf(v))
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Nearest returns the candidate closest to got in edit distance
// (Damerau-Levenshtein, optimal string alignment, ignoring case) when it
// is close enough to be a typo: at most a third of the longer name, and at
// least one edit allowed; else "". Ties go to the alphabetically first.
// It suggests YAML keys here, and commands and flags in the CLI.
func Nearest(got string, candidates []string) string {
	cs := slices.Clone(candidates)
	sort.Strings(cs)
	best, bestD := "", -1
	for _, c := range cs {
		if d := editDistance(strings.ToLower(got), strings.ToLower(c)); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, max(len(got), len(best))/3) {
		return ""
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) of a and b in bytes: insertions, deletions, substitutions and
// transpositions of adjacent bytes each cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
