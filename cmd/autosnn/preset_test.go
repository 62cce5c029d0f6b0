package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

// TestTrainPreset checks that --preset gives the recipe's values to the
// flags the command line leaves unset, that explicit flags win, and that
// the printed resume command (the same flags plus --resume) continues.
func TestTrainPreset(t *testing.T) {
	if testing.Short() {
		t.Skip("loads Fashion-MNIST")
	}
	if _, err := dataset.LocateFashionMNIST(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.ckpt")
	args := []string{"train", "--preset", "reduced", "--arch", "snn1-scb3", "--C", "2", "--batch", "16", "--epochs", "1",
		"--limit", "32", "--eval-limit", "16", "--out", ck, "--quiet"}
	out, err := runApp(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	// reduced: Fashion-MNIST, T = 4, lr 1e-3 from the preset; C, batch,
	// epochs and limit from the command line.
	for _, want := range []string{"on fashion-mnist: T=4, batch 16, lr 0.001, 1 epochs"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out, err = runApp(t, append(args[:len(args)-1:len(args)-1], "--epochs", "2", "--resume", "--quiet")...); err != nil {
		t.Fatalf("resume with the preset: %v\n%s", err, out)
	}
	if _, err := runApp(t, "train", "--preset", "fast", "--arch", "snn1-scb3", "--out", ck); err == nil ||
		!strings.Contains(err.Error(), `train: --preset: experiments: preset "fast", want one of paper, reduced`) {
		t.Errorf("unknown preset: %v", err)
	}
}
