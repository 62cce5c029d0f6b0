package frontend

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/ir"
)

// oldCheckpoint is a training checkpoint written by search/engine/train
// before its envelope moved here (commit c30a7c9; the same file is
// search/engine/train/testdata/tiny-v1.ckpt, whose test checks that the
// trainer writes it back byte for byte).
const oldCheckpoint = "testdata/tiny-v1.ckpt"

// encode returns g's IR encoding as one byte slice, for comparisons.
func encode(t *testing.T, g *ir.Graph) []byte {
	t.Helper()
	doc, blob, err := ir.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	return append(doc, blob...)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadModelKinds(t *testing.T) {
	dir := t.TempDir()
	ck, err := ReadModel(oldCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Kind != KindCheckpoint || ck.Graph == nil || !ck.Graph.Trained() {
		t.Fatalf("%s: got kind %v, graph %v, want a trained checkpoint graph", oldCheckpoint, ck.Kind, ck.Graph != nil)
	}
	if _, err := ir.NewExecutor(ck.Graph); err != nil {
		t.Errorf("checkpoint graph does not run on the reference executor: %v", err)
	}
	want := encode(t, ck.Graph)

	// Content, not the name, decides.
	renamed := filepath.Join(dir, "model.yaml")
	copyFile(t, oldCheckpoint, renamed)
	irDir := filepath.Join(dir, "ir")
	if err := ir.WriteDir(irDir, ck.Graph); err != nil {
		t.Fatal(err)
	}
	otherName := filepath.Join(irDir, "net.yaml")
	copyFile(t, filepath.Join(irDir, ir.GraphFile), otherName)
	spec := filepath.Join(dir, "arch.ckpt")
	if err := os.WriteFile(spec, []byte("macro: snn1\nchannels: 4\nblocks: [SRB_k3, skip, SCB_k3, skip, SRB_k5]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		arg     string
		kind    ModelKind
		trained bool
	}{
		{renamed, KindCheckpoint, true},
		{irDir, KindIRDir, true},
		{filepath.Join(irDir, ir.GraphFile), KindIRFile, true},
		{otherName, KindIRFile, true},
		{spec, KindArchitecture, false},
		{"autosnn", KindArchitecture, false},
		{"SRB_k3,skip,SCB_k3,skip,SRB_k5", KindArchitecture, false},
	} {
		t.Run(filepath.Base(tc.arg), func(t *testing.T) {
			m, err := ReadModel(tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind {
				t.Errorf("kind %v, want %v", m.Kind, tc.kind)
			}
			if (m.Graph != nil) != (tc.kind != KindArchitecture) {
				t.Errorf("graph set: %v, want %v", m.Graph != nil, tc.kind != KindArchitecture)
			}
			if tc.trained && !bytes.Equal(encode(t, m.Graph), want) {
				t.Errorf("graph differs from the checkpoint's")
			}
			g, err := ReadGraph(tc.arg)
			if err != nil {
				t.Fatal(err)
			}
			if g.Trained() != tc.trained {
				t.Errorf("ReadGraph: trained %v, want %v", g.Trained(), tc.trained)
			}
		})
	}
}

func TestReadModelErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(oldCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	supernet, err := EncodeEnvelope(SupernetMagic, 1, struct{ Space string }{"autosnn"})
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/3] ^= 0x40
	noGraph := filepath.Join(dir, "empty")
	if err := os.Mkdir(noGraph, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, arg string
		want      []string
	}{
		{"supernet", write("super.ckpt", supernet), []string{"super.ckpt", "super-network checkpoint"}},
		{"flipped", write("flipped.ckpt", flipped), []string{"flipped.ckpt", "checksum"}},
		{"truncated", write("short.ckpt", good[:len(good)/2]), []string{"short.ckpt", "checksum"}},
		{"version", write("v9.ckpt", bytes.Replace(good, []byte("autosnn-checkpoint v1"), []byte("autosnn-checkpoint v9"), 1)), []string{"v9.ckpt", "format version 9"}},
		{"directory", noGraph, []string{"empty", "without graph.yaml"}},
		{"nothing", "NOPE_k9", []string{"NOPE_k9", "not a checkpoint or IR directory"}},
		{"garbage", write("junk.bin", []byte("\x00\x01binary: [")), []string{"junk.bin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadGraph(tc.arg)
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want one containing %q", err, w)
				}
			}
		})
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	type body struct {
		A string
		B []float32
	}
	in := body{"x", []float32{1, 2.5}}
	data, err := EncodeEnvelope("autosnn-test", 3, &in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("autosnn-test v3\n")) {
		t.Errorf("first line %q, want %q", data[:bytes.IndexByte(data, '\n')+1], "autosnn-test v3\n")
	}
	var out body
	if err := DecodeEnvelope(data, "autosnn-test", 3, "test file", &out); err != nil {
		t.Fatal(err)
	}
	if out.A != in.A || len(out.B) != 2 || out.B[1] != 2.5 {
		t.Errorf("got %+v, want %+v", out, in)
	}
	if err := DecodeEnvelope(data, "autosnn-test", 4, "test file", &out); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("wrong version: got %v, want a version error", err)
	}
	if err := DecodeEnvelope(data, "autosnn-other", 3, "other file", &out); err == nil || !strings.Contains(err.Error(), "not an other file") {
		t.Errorf("wrong magic: got %v, want a magic error", err)
	}
}
