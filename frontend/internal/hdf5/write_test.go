package hdf5

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestWriteRoundTrip writes every NIR fixture and h5py file back with
// Write and checks that Read gives the same tree, values bit for bit.
func TestWriteRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(nirDir + "/*.nir")
	files = append(files, "testdata/earliest.h5", "testdata/latest.h5")
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			want := readFile(t, p)
			b, err := Write(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(b)
			if err != nil {
				t.Fatalf("reading back: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back a different tree")
			}
			if os.Getenv("HDF5_WRITE_DIR") != "" {
				os.WriteFile(filepath.Join(os.Getenv("HDF5_WRITE_DIR"), filepath.Base(p)), b, 0o644)
			}
		})
	}
}

// TestWriteEmptyAndAttrs writes an empty group, a scalar, a fixed string,
// int32s and attributes on the root.
func TestWriteEmptyAndAttrs(t *testing.T) {
	root := &Object{Path: "/", Members: map[string]*Object{
		"empty": {Path: "/empty", Members: map[string]*Object{}, Attrs: map[string]*Value{}},
		"s":     {Path: "/s", Data: &Value{Class: Float, Size: 8, Floats: []float64{3.25}}, Attrs: map[string]*Value{}},
		"fs":    {Path: "/fs", Data: &Value{Class: String, Size: 3, Shape: []int{2}, Strings: []string{"ab", "xyz"}}, Attrs: map[string]*Value{}},
		"i":     {Path: "/i", Data: &Value{Class: Int, Size: 4, Shape: []int{2, 2}, Ints: []int64{-1, 2, -3, 1 << 30}}, Attrs: map[string]*Value{}},
	}, Attrs: map[string]*Value{
		"note": {Class: String, Shape: []int{}, Strings: []string{"héllo"}},
		"n":    {Class: Int, Size: 8, Shape: []int{3}, Ints: []int64{1, -2, 3}},
	}}
	for _, o := range root.Members {
		if o.Data != nil && o.Data.Shape == nil {
			o.Data.Shape = []int{}
		}
	}
	b, err := Write(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*Object{got, root} {
		for _, m := range o.Members {
			if m.Data != nil && len(m.Data.Shape) == 0 {
				m.Data.Shape = nil
			}
		}
		for _, v := range o.Attrs {
			if len(v.Shape) == 0 {
				v.Shape = nil
			}
		}
	}
	if !reflect.DeepEqual(got, root) {
		t.Errorf("got %+v, want %+v", got, root)
	}
	if _, err := Write(&Object{Path: "/", Members: map[string]*Object{"a/b": {Members: map[string]*Object{}}}}); err == nil {
		t.Error("a member name with '/' was written")
	}
}
