package hdf5

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const nirDir = "../../testdata/nir"

func TestLookup3(t *testing.T) {
	for _, c := range []struct {
		in   string
		init uint32
		want uint32
	}{
		{"", 0, 0xdeadbeef},
		{"Four score and seven years ago", 0, 0x17770551},
		{"Four score and seven years ago", 1, 0xcd628161},
	} {
		if got := lookup3([]byte(c.in), c.init); got != c.want {
			t.Errorf("lookup3(%q, %d) = %#08x, want %#08x", c.in, c.init, got, c.want)
		}
	}
}

// expected mirrors expected.json: per file, node type and per-parameter
// shape and float64 sum, and the edge list.
type expected map[string]struct {
	Nodes map[string]map[string]json.RawMessage `json:"nodes"`
	Edges [][2]string                           `json:"edges"`
}

type param struct {
	Shape []int   `json:"shape"`
	Sum   float64 `json:"sum"`
}

func readExpected(t *testing.T) expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(nirDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func readFile(t *testing.T, path string) *Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Read(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return o
}

// TestNIRFixtures reads every fixture and checks its groups, node types,
// dataset shapes and sums, and edges against expected.json.
func TestNIRFixtures(t *testing.T) {
	exp := readExpected(t)
	if len(exp) != 5 {
		t.Fatalf("expected.json has %d files, want 5", len(exp))
	}
	for name, want := range exp {
		t.Run(name, func(t *testing.T) {
			root := readFile(t, filepath.Join(nirDir, name+".nir"))
			if v, err := root.Get("version"); err != nil || v.Data == nil || v.Data.Class != String || !strings.HasPrefix(v.Data.Strings[0], "1.") {
				t.Errorf("/version: %v %+v", err, v)
			}
			typ, err := root.Get("node/type")
			if err != nil || typ.Data.Strings[0] != "NIRGraph" {
				t.Fatalf("/node/type: %v", err)
			}
			nodes, err := root.Get("node/nodes")
			if err != nil {
				t.Fatal(err)
			}
			if got, w := nodes.Names(), sortedKeys(want.Nodes); !reflect.DeepEqual(got, w) {
				t.Errorf("nodes %v, want %v", got, w)
			}
			for node, fields := range want.Nodes {
				var ty string
				json.Unmarshal(fields["type"], &ty)
				o, err := nodes.Get(node + "/type")
				if err != nil || len(o.Data.Strings) != 1 || o.Data.Strings[0] != ty {
					t.Errorf("%s type: %v, want %s", node, err, ty)
				}
				for p, raw := range fields {
					if p == "type" {
						continue
					}
					var w param
					if err := json.Unmarshal(raw, &w); err != nil {
						t.Fatal(err)
					}
					d, err := nodes.Get(node + "/" + p)
					if err != nil {
						t.Errorf("%v", err)
						continue
					}
					if !reflect.DeepEqual(d.Data.Shape, w.Shape) {
						t.Errorf("%s shape %v, want %v", d.Path, d.Data.Shape, w.Shape)
					}
					var sum float64
					for _, x := range d.Data.Floats {
						sum += x
					}
					if math.Abs(sum-w.Sum) > 1e-9*max(1, math.Abs(w.Sum)) {
						t.Errorf("%s sum %.17g, want %.17g", d.Path, sum, w.Sum)
					}
				}
			}
			edges, err := root.Get("node/edges")
			if err != nil {
				t.Fatal(err)
			}
			if len(edges.Data.Shape) != 2 || edges.Data.Shape[1] != 2 || edges.Data.Shape[0] != len(want.Edges) {
				t.Fatalf("edges shape %v, want [%d 2]", edges.Data.Shape, len(want.Edges))
			}
			got := map[[2]string]bool{}
			for i := 0; i < len(edges.Data.Strings); i += 2 {
				got[[2]string{edges.Data.Strings[i], edges.Data.Strings[i+1]}] = true
			}
			for _, e := range want.Edges {
				if !got[e] {
					t.Errorf("edge %v missing from %v", e, edges.Data.Strings)
				}
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	o := &Object{Members: map[string]*Object{}}
	for k := range m {
		o.Members[k] = nil
	}
	return o.Names()
}

// TestH5py reads files that h5py wrote with libver "earliest" (superblock
// 0, symbol tables, B-tree v1 chunks, shuffle + deflate) and "latest"
// (superblock 3, object header 2, link messages, layout 4), made by
// testdata/gen.py.
func TestH5py(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		t.Run(file, func(t *testing.T) {
			root := readFile(t, filepath.Join("testdata", file))
			get := func(p string) *Value {
				o, err := root.Get(p)
				if err != nil {
					t.Fatal(err)
				}
				return o.Data
			}
			a := get("grp/contig_f4")
			if !reflect.DeepEqual(a.Shape, []int{5, 7}) || a.Size != 4 || a.Floats[34] != 34.0/8 {
				t.Errorf("contig_f4: %+v", a)
			}
			if b := get("grp/f8_be"); b.Floats[0] != -2.5 || b.Floats[5] != 2.5 || b.Size != 8 {
				t.Errorf("f8_be: %+v", b)
			}
			if i := get("grp/i32"); !reflect.DeepEqual(i.Ints, []int64{-3, 0, 7, 1<<31 - 1}) {
				t.Errorf("i32: %v", i.Ints)
			}
			if s := get("grp/i64_scalar"); len(s.Shape) != 0 || !reflect.DeepEqual(s.Ints, []int64{-42}) {
				t.Errorf("i64_scalar: %+v", s)
			}
			if s := get("grp/fixed_str"); !reflect.DeepEqual(s.Strings, []string{"ab", "cde"}) {
				t.Errorf("fixed_str: %q", s.Strings)
			}
			if s := get("grp/vlen_str"); !reflect.DeepEqual(s.Strings, []string{"hello"}) {
				t.Errorf("vlen_str: %q", s.Strings)
			}
			if s := get("grp/compact_i16"); !reflect.DeepEqual(s.Ints, []int64{1, -2, 3}) {
				t.Errorf("compact_i16: %v", s.Ints)
			}
			sub, _ := root.Get("grp/sub")
			if v := sub.Attrs["attr_f"]; v == nil || !reflect.DeepEqual(v.Floats, []float64{1.5, 2.5}) {
				t.Errorf("attr_f: %+v", v)
			}
			if v := sub.Attrs["attr_s"]; v == nil || !reflect.DeepEqual(v.Strings, []string{"unit"}) {
				t.Errorf("attr_s: %+v", v)
			}
			if v := sub.Attrs["attr_i"]; v == nil || !reflect.DeepEqual(v.Ints, []int64{9}) {
				t.Errorf("attr_i: %+v", v)
			}
			if file != "earliest.h5" {
				return
			}
			c := get("grp/sub/chunk_shuf")
			for i, x := range c.Floats {
				if x != float64(i)*0.25 {
					t.Fatalf("chunk_shuf[%d] = %g, want %g", i, x, float64(i)*0.25)
				}
			}
			for i, x := range get("grp/sub/chunk_i64").Ints {
				if x != int64(i) {
					t.Fatalf("chunk_i64[%d] = %d", i, x)
				}
			}
		})
	}
}

// TestRefusals checks that unsupported features and corrupt structures
// give one error naming the object path and the feature.
func TestRefusals(t *testing.T) {
	b, err := os.ReadFile("testdata/latest_chunked.h5")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Read(b)
	if err == nil || !strings.Contains(err.Error(), "/x") || !strings.Contains(err.Error(), "chunk index") {
		t.Errorf("latest chunked: %v, want an error naming /x and the chunk index", err)
	}
	lat, err := os.ReadFile("testdata/latest.h5")
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte{}, lat...)
	bad[20] ^= 1 // inside the v3 superblock: end-of-file address
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped superblock byte: %v, want a checksum error", err)
	}
	if _, err := Read([]byte("not hdf5")); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("not hdf5: %v", err)
	}
}

// TestTruncated reads every prefix of a fixture; each must fail cleanly.
func TestTruncated(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(nirDir, "cuba.nir"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n += 97 {
		if _, err := Read(b[:n]); err == nil {
			t.Errorf("prefix of %d bytes read without error", n)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, pat := range []string{nirDir + "/*.nir", "testdata/*.h5"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadLimit(b, 1<<22)
	})
}
