package yamlerr

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type inner struct {
	Depth int     `yaml:"buffer_depth"`
	Wait  float64 `yaml:"drop_wait_ns"`
}

type doc struct {
	Name   string   `yaml:"name"`
	Blocks []string `yaml:"blocks,flow"`
	NoC    inner    `yaml:"noc"`
	On     bool     `yaml:"enabled"`
}

var explainCases = []struct {
	name, yaml, want string
}{
	{"misspelt top key", "name: a\nblokcs: [x]\n", "line 2: unknown key blokcs; did you mean blocks?"},
	{"misspelt nested key", "noc:\n  buffer_dept: 2\n", "line 2: unknown key buffer_dept; did you mean buffer_depth?"},
	{"far key", "zzzzzz: 1\n", "line 1: unknown key zzzzzz"},
	{"int", "noc:\n  buffer_depth: two\n", `line 2: noc.buffer_depth: "two" is not an integer`},
	{"float", "name: a\nnoc:\n  drop_wait_ns: soon\n", `line 3: noc.drop_wait_ns: "soon" is not a number`},
	{"bool", "enabled: maybe\n", `line 1: enabled: "maybe" is not true or false`},
	{"list for a mapping", "noc: [1, 2]\n", "line 1: noc: a list is not a mapping of the expected keys"},
	{"document is a list", "- 1\n- 2\n", "line 1: the document is a list, want a mapping of keys"},
	{"unclosed list", "name: a\n\nblocks: [x, y\nnoc: {}\n", "line 3: the flow list opened here is not closed (want ])"},
	{"unclosed mapping", "# [not this]\nname: 'a [b'\nnoc: {buffer_depth: 2\n", "line 3: the flow mapping opened here is not closed (want })"},
	{"other syntax error", "name: a\n  b: c\n", "line 2: mapping values are not allowed in this context"},
}

func TestExplain(t *testing.T) {
	for _, tc := range explainCases {
		t.Run(tc.name, func(t *testing.T) {
			dec := yaml.NewDecoder(bytes.NewReader([]byte(tc.yaml)))
			dec.KnownFields(true)
			var d doc
			err := Explain(dec.Decode(&d), []byte(tc.yaml), d)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if strings.Contains(err.Error(), "yamlerr.") || strings.Contains(err.Error(), "type ") {
				t.Errorf("%q names a Go type", err)
			}
		})
	}
}

func TestExplainPassesOtherErrors(t *testing.T) {
	if Explain(nil, nil, doc{}) != nil {
		t.Error("Explain(nil) != nil")
	}
	e := bytes.ErrTooLarge
	if Explain(e, nil, doc{}) != e {
		t.Error("a non-YAML error was rewritten")
	}
}

func TestKeys(t *testing.T) {
	got := strings.Join(Keys(&doc{}), ",")
	if want := "blocks,buffer_depth,drop_wait_ns,enabled,name,noc"; got != want {
		t.Errorf("Keys = %s, want %s", got, want)
	}
}

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
		if s := Nearest(got, cmds); s != want {
			t.Errorf("Nearest(%q) = %q, want %q", got, s, want)
		}
	}
}
