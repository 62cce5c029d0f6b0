package backends

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// yamlFields returns the YAML keys of a struct type and of the structs it
// contains.
func yamlFields(typ reflect.Type) []string {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key != "" {
			out = append(out, key)
		}
		out = append(out, yamlFields(f.Type)...)
	}
	return out
}

// TestDocsCoverSchema fails when docs/chips.md lacks a field of the schema
// or a built-in profile.
func TestDocsCoverSchema(t *testing.T) {
	doc, err := os.ReadFile("../docs/chips.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range yamlFields(reflect.TypeFor[Profile]()) {
		if !strings.Contains(string(doc), "`"+key+"`") {
			t.Errorf("docs/chips.md does not document field `%s`", key)
		}
	}
	for _, name := range Builtins() {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("docs/chips.md does not list built-in profile `%s`", name)
		}
	}
}
