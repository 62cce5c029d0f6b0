package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

func runTrainApp(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"autosnn"}, args...))
	return out.String(), errOut.String(), err
}

func TestTrainEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.ckpt")
	if err := os.WriteFile(bad, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--out", filepath.Join(dir, "m.ckpt")}, "--arch is required"},
		{[]string{"train", "--arch", "nosuch", "--out", filepath.Join(dir, "m.ckpt")}, "not a zoo entry"},
		{[]string{"train", "--arch", "autosnn", "--data", "imagenet", "--out", filepath.Join(dir, "m.ckpt")}, "unknown dataset"},
		{[]string{"train", "--resume", "--out", filepath.Join(dir, "missing.ckpt")}, "no such file"},
		{[]string{"train", "--resume", "--out", bad}, "not an autosnn checkpoint"},
		{[]string{"eval", "--model", bad}, "bad.ckpt: not an autosnn checkpoint"},
	} {
		_, _, err := runTrainApp(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestTrainEvalMNIST trains a tiny net for one short epoch on MNIST, resumes
// it for a second, and evaluates the checkpoint.
func TestTrainEvalMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "m.ckpt")
	out, _, err := runTrainApp(t, "train", "--arch", "SRB_k3,skip,SCB_k3,skip,SRB_k3", "--data", "mnist", "--C", "2", "--T", "2",
		"--batch", "16", "--limit", "32", "--eval-limit", "16", "--epochs", "1", "--quiet", "--out", ck)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "epoch 1/1:") || !strings.Contains(out, "wrote "+ck) {
		t.Errorf("train output lacks the epoch line or the checkpoint:\n%s", out)
	}
	if _, _, err := runTrainApp(t, "train", "--resume", "--out", ck, "--epochs", "2", "--quiet", "--eval-limit", "16"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runTrainApp(t, "train", "--resume", "--out", ck, "--epochs", "3", "--batch", "8"); err == nil || !strings.Contains(err.Error(), "refusing --batch 8") {
		t.Errorf("resume with another batch size: got %v, want a refusal", err)
	}
	out, _, err = runTrainApp(t, "eval", "--model", ck, "--eval-limit", "20", "--quiet", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"epoch 2", "accuracy", "spikes per image", "neuron spikes/image", "stem.plif", "pools.0", "fc_plif", "firing rate"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "layer-spikes.png")); err != nil || fi.Size() == 0 {
		t.Errorf("layer-spikes.png not written: %v", err)
	}
}
