package pipeline

import (
	"strconv"
	"strings"
)

// Command is an autosnn command line: a command name and its flags in
// order. The demo records one per step, so that each step can be rerun
// alone; cmd/autosnn's tests check every flag against the command's
// definition, so the lines cannot drift from the CLI.
type Command struct {
	Name  string
	Flags []Flag
}

// Flag is one --name value pair of a Command ("" Value: a boolean flag).
type Flag struct{ Name, Value string }

// With returns c with the flag --name value appended.
func (c Command) With(name string, value any) Command {
	var v string
	switch x := value.(type) {
	case string:
		v = x
	case float64:
		v = strconv.FormatFloat(x, 'g', -1, 64)
	case []float64:
		v = joinFloats(x)
	default:
		v = strconvAny(x)
	}
	c.Flags = append(append([]Flag(nil), c.Flags...), Flag{name, v})
	return c
}

// String returns the command line, starting with "autosnn"; values with
// spaces or shell metacharacters are single-quoted.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString("autosnn " + c.Name)
	for _, f := range c.Flags {
		b.WriteString(" --" + f.Name)
		if f.Value != "" {
			b.WriteString(" " + shellQuote(f.Value))
		}
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`&|;<>()*?[]#~{}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func strconvAny(x any) string {
	switch v := x.(type) {
	case int:
		return strconv.Itoa(v)
	case uint64:
		return strconv.FormatUint(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case interface{ String() string }:
		return v.String()
	}
	panic("pipeline: Command.With: unsupported flag value type")
}
