package backends

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML layer alone would let a profile lie: yaml.v3 decodes
// max_neurons: 1024.5 into an int field by truncating it to 1024, and
// 1e3 as 1000. integerProblems walks the document's node tree beside the
// Profile type and refuses every integer field whose scalar is not a YAML
// integer, so a profile says exactly the integers it is read as. The same
// walk records the line of every field, so that validation problems name
// the line they are on (fieldLines).

// integerProblems returns one problem per integer-typed field of typ whose
// value in node is not a YAML integer (!!int), in document order. path is
// the field path so far ("" at the root); unknown keys are skipped (the
// strict decoder reports them).
func integerProblems(node *yaml.Node, typ reflect.Type, path string) []Problem {
	if node == nil {
		return nil
	}
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return nil
		}
		return integerProblems(node.Content[0], typ, path)
	}
	if node.Kind == yaml.AliasNode {
		return integerProblems(node.Alias, typ, path)
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	var out []Problem
	switch typ.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			if f, ok := fieldByYAMLKey(typ, key); ok {
				out = append(out, integerProblems(node.Content[i+1], f.Type, joinPath(path, key))...)
			}
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for i, el := range node.Content {
			out = append(out, integerProblems(el, typ.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if node.Kind == yaml.ScalarNode && node.ShortTag() != "!!int" {
			out = append(out, Problem{Field: path, Line: node.Line,
				Msg: fmt.Sprintf("got %s, want an integer (written without a fraction or exponent)", node.Value)})
		}
	}
	return out
}

// fieldByYAMLKey returns the field of struct type typ whose yaml tag names
// key.
func fieldByYAMLKey(typ reflect.Type, key string) (reflect.StructField, bool) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldLines maps every field path of the document ("core.max_neurons",
// "sync.barrier_ns[1].tiles") to the line its value starts on.
func fieldLines(node *yaml.Node) map[string]int {
	lines := make(map[string]int)
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := joinPath(path, n.Content[i].Value)
				lines[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				lines[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(node, "")
	return lines
}

// lineOf returns the line of field in lines, or of its nearest enclosing
// field present in the document (a missing field is reported at its
// section), or 0.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if l, ok := lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return 0
		}
		field = field[:i]
	}
	return 0
}
