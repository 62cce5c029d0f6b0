package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/engine/train"
)

// writeCIFAR10DVS writes a CIFAR10-DVS folder with perClass AEDAT 2.0
// recordings per class (the layout and bit mapping of search/dataset's
// loader: x mirrored in bits 1-7, y in bits 8-14, polarity inverted in bit 0).
func writeCIFAR10DVS(t *testing.T, dir string, perClass int) {
	classes := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	for c, cls := range classes {
		if err := os.MkdirAll(filepath.Join(dir, cls), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			var b bytes.Buffer
			b.WriteString("#!AER-DAT2.0\r\n# test recording\r\n")
			for k := range 60 + i {
				x, y, p := (k*3+c)%128, (k*5+i)%128, (k+c)%2
				binary.Write(&b, binary.BigEndian, uint32(127-x)<<1|uint32(y)<<8|uint32(1-p))
				binary.Write(&b, binary.BigEndian, uint32(5*k))
			}
			name := filepath.Join(dir, cls, fmt.Sprintf("cifar10_%s_%d.aedat", cls, i))
			if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEventSizeAcrossCommands: an event network built at --size 16 is
// trained, evaluated, compiled and simulated at that size (issue #19 item
// 6: --size existed on supernet and search only); eval, compile and
// simulate take the side from the model when --size is not given, and a
// --size that disagrees with the model is refused.
func TestEventSizeAcrossCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small network")
	}
	dir, tmp := t.TempDir(), t.TempDir()
	writeCIFAR10DVS(t, dir, 10)
	data, cache := "cifar10-dvs:"+dir, filepath.Join(tmp, "cache")
	ck := filepath.Join(tmp, "m.ckpt")
	run := func(args ...string) string {
		t.Helper()
		out, errOut, err := runTrainApp(t, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		return out
	}
	run("train", "--arch", "SRB_k3,skip,SCB_k3,skip,SRB_k3", "--data", data, "--size", "16", "--cache", cache, "-C", "2", "-T", "2",
		"--batch", "8", "--limit", "16", "--eval-limit", "8", "--quiet", "--out", ck)
	c, err := train.ReadCheckpoint(ck)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Graph.Input().Shape; s.C != 2 || s.H != 16 || s.W != 16 {
		t.Fatalf("trained input %v, want 2x16x16", s)
	}
	if ents, _ := os.ReadDir(cache); len(ents) == 0 {
		t.Errorf("--cache %s holds nothing after training on event data", cache)
	}
	if out := run("eval", "--model", ck, "--cache", cache, "--quiet"); !strings.Contains(out, "accuracy") {
		t.Errorf("eval at the model's side:\n%s", out)
	}
	if _, _, err := runTrainApp(t, "eval", "--model", ck, "--cache", cache, "--size", "32", "--quiet"); err == nil || !strings.Contains(err.Error(), "wants input 2x16x16") {
		t.Errorf("eval --size 32 of a 16x16 model: got %v, want the shape mismatch", err)
	}
	mapping := filepath.Join(tmp, "mapping")
	run("compile", "--model", ck, "--data", data, "--cache", cache, "--profile-samples", "2", "--chip", "loihi2", "--quiet", "--out", mapping)
	simDir := filepath.Join(tmp, "sim")
	if out := run("simulate", "--mapping", mapping, "--data", data, "--size", "16", "--cache", cache, "--images", "2", "--quiet", "--out", simDir); !strings.Contains(out, "wrote") {
		t.Errorf("simulate:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(simDir, "summary.yaml")); err != nil {
		t.Error(err)
	}
}

// TestSupernetEmptySplit checks that a super-network on a dataset whose
// D_train is empty (CIFAR10-DVS with 2 recordings per class: the 80% cut
// keeps none) is refused naming the dataset and the split, and writes no
// checkpoint.
func TestSupernetEmptySplit(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	writeCIFAR10DVS(t, dir, 2)
	out := filepath.Join(tmp, "s.ckpt")
	_, _, err := runTrainApp(t, "supernet", "--data", "cifar10-dvs:"+dir, "--cache", filepath.Join(tmp, "cache"), "--size", "16",
		"-C", "2", "-T", "2", "--quiet", "--out", out)
	if err == nil || !strings.Contains(err.Error(), "cifar10-dvs") || !strings.Contains(err.Error(), "train split is empty") {
		t.Fatalf("supernet on an empty D_train: got %v, want an error naming cifar10-dvs and the empty train split", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written (stat: %v), want no checkpoint", out, err)
	}
}

// TestAllowEmpty checks that an event recording without events (cut after
// its header) is refused naming the sample, and read with --allow-empty.
func TestAllowEmpty(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	writeCIFAR10DVS(t, dir, 5)
	cut := filepath.Join(dir, "cat", "cifar10_cat_0.aedat")
	if err := os.WriteFile(cut, []byte("#!AER-DAT2.0\r\n# cut after its header\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"data", "inspect", "--size", "16", "--T", "2", "--out", tmp}
	_, _, err := runTrainApp(t, append(args, "--cache", filepath.Join(tmp, "c1"), "cifar10-dvs:"+dir)...)
	if err == nil || !strings.Contains(err.Error(), "no events") {
		t.Fatalf("a recording without events: got %v, want an error saying it has no events", err)
	}
	if _, errOut, err := runTrainApp(t, append(args, "--cache", filepath.Join(tmp, "c2"), "--allow-empty", "cifar10-dvs:"+dir)...); err != nil {
		t.Fatalf("--allow-empty: %v\n%s", err, errOut)
	}
}
