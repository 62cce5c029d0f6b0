package train

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// oldCheckpoint is a checkpoint written before the envelope and the
// architecture text moved to the frontend (commit c30a7c9): one epoch of
// tinyGraph on the synthetic set. The file format is frozen; this build
// must read it and write it back byte for byte.
const oldCheckpoint = "testdata/tiny-v1.ckpt"

func TestOldCheckpointBitIdentical(t *testing.T) {
	want, err := os.ReadFile(oldCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadCheckpoint(oldCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	if c.Epoch != 1 || len(c.History) != 1 || len(c.Adam) == 0 {
		t.Errorf("checkpoint at epoch %d with %d history entries and %d Adam states, want epoch 1, 1 entry and some states", c.Epoch, len(c.History), len(c.Adam))
	}
	path := filepath.Join(t.TempDir(), "again.ckpt")
	if err := WriteCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rewritten checkpoint differs from %s (%d bytes, want %d)", oldCheckpoint, len(got), len(want))
	}
	// The frontend reads the same graph without the trainer.
	g, err := frontend.ReadGraph(oldCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	doc1, blob1, err := ir.Encode(c.Graph)
	if err != nil {
		t.Fatal(err)
	}
	doc2, blob2, err := ir.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc1, doc2) || !bytes.Equal(blob1, blob2) {
		t.Errorf("frontend.ReadGraph and ReadCheckpoint give different graphs")
	}
	// And resumes from it.
	tr, err := Resume(c, tinyGraph(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
}
