package hdf5

import (
	"bytes"
	"math/rand/v2"
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

// TestWriteChunked writes datasets over the chunking threshold (float32
// with an edge chunk, float64, int16 of rank 3, and one whose rows need
// the one-leaf cap of maxLeafChunks chunks), reads them back bit for bit,
// and checks that they were stored chunked and compressed.
func TestWriteChunked(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 18))
	f32 := make([]float64, 300*257)
	for i := range f32 {
		f32[i] = float64(float32(r.NormFloat64()))
		if i%3 == 0 {
			f32[i] = 0 // compressible, as sparse weights are
		}
	}
	f64 := make([]float64, 100000)
	for i := range f64 {
		f64[i] = float64(i%977) * 0.5
	}
	i16 := make([]int64, 40*30*70)
	for i := range i16 {
		i16[i] = int64(i%200) - 100
	}
	long := make([]float64, 100000*4)
	for i := range long {
		long[i] = float64(i % 13)
	}
	root := &Object{Path: "/", Attrs: map[string]*Value{}, Members: map[string]*Object{
		"w":     {Path: "/w", Attrs: map[string]*Value{}, Data: &Value{Class: Float, Size: 4, Shape: []int{300, 257}, Floats: f32}},
		"d":     {Path: "/d", Attrs: map[string]*Value{}, Data: &Value{Class: Float, Size: 8, Shape: []int{100000}, Floats: f64}},
		"i":     {Path: "/i", Attrs: map[string]*Value{}, Data: &Value{Class: Int, Size: 2, Shape: []int{40, 30, 70}, Ints: i16}},
		"small": {Path: "/small", Attrs: map[string]*Value{}, Data: &Value{Class: Float, Size: 8, Shape: []int{3}, Floats: []float64{1, 2, 3}}},
	}}
	for _, tc := range []struct {
		name string
		opt  WriteOptions
		root *Object
	}{
		{"default", DefaultWriteOptions, root},
		{"capped", WriteOptions{ChunkAbove: 1, ChunkBytes: 100, Level: 1}, &Object{Path: "/", Attrs: map[string]*Value{}, Members: map[string]*Object{
			"long": {Path: "/long", Attrs: map[string]*Value{}, Data: &Value{Class: Float, Size: 4, Shape: []int{100000, 4}, Floats: long}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := WriteWith(tc.root, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.root) {
				t.Fatal("read back a different tree")
			}
			raw := 0
			for _, m := range tc.root.Members {
				raw += m.Data.Len() * m.Data.Size
			}
			if len(b) >= raw/2 {
				t.Errorf("file of %d bytes for %d bytes of compressible data: not compressed", len(b), raw)
			}
			if n := bytes.Count(b, []byte("TREE\x01")); n != len(tc.root.Members)-boolInt(tc.root.Members["small"] != nil) {
				t.Errorf("%d chunk B-trees, want one per large dataset", n)
			}
			if dir := os.Getenv("HDF5_WRITE_DIR"); dir != "" {
				os.WriteFile(filepath.Join(dir, "chunked-"+tc.name+".h5"), b, 0o644)
			}
			t.Logf("%d bytes for %d raw", len(b), raw)
		})
	}
	if _, err := WriteWith(root, WriteOptions{ChunkAbove: 10, Level: 12, ChunkBytes: 5}); err == nil {
		t.Error("deflate level 12 accepted")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
