package supernet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
)

// oldCheckpoint is a super-network checkpoint written before the envelope
// moved from search/engine/train to the frontend (commit c30a7c9): one
// epoch of the tiny snn1 space on the synthetic set. The file format is
// frozen; this build must read it and write it back byte for byte.
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
	if c.Epoch != 1 || len(c.Tensors) == 0 || c.NAvg <= 0 {
		t.Errorf("checkpoint at epoch %d with %d tensors and N_avg %v, want epoch 1, some tensors and N_avg > 0", c.Epoch, len(c.Tensors), c.NAvg)
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
	net, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	net.Close()
	// The frontend recognises it and refuses it as a model: it holds many
	// architectures.
	if _, err := frontend.ReadGraph(oldCheckpoint); err == nil || !strings.Contains(err.Error(), "super-network checkpoint") {
		t.Errorf("frontend.ReadGraph: got %v, want a super-network checkpoint error", err)
	}
}
