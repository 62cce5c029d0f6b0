package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
)

// TestNIRImportFlags: show and compile import a NIR file with --dt and --T,
// and refuse them where they mean nothing.
func TestNIRImportFlags(t *testing.T) {
	mlp := filepath.Join("..", "..", "frontend", "testdata", "nir", "snntorch_mlp.nir")
	msg, err := runApp(t, "show", "--T", "5", "--dt", "2e-4", mlp)
	if err != nil || !strings.Contains(msg, "T=5 ") || !strings.Contains(msg, "lif(tau=2.5 ") {
		t.Fatalf("show --T 5 --dt 2e-4: %v\n%s\nwant T=5 and the head's tau halved to 2.5", err, msg)
	}
	msg, err = runApp(t, "show", mlp)
	if err != nil || !strings.Contains(msg, "T=10 ") || !strings.Contains(msg, "lif(tau=5 ") {
		t.Fatalf("show: %v\n%s\nwant the defaults T=10, tau 5", err, msg)
	}
	out := t.TempDir()
	msg, err = runApp(t, "compile", "--quiet", "--model", mlp, "--T", "4", "--dt", "2e-4", "--out", out)
	if err != nil {
		t.Fatalf("compile --T 4 --dt 2e-4: %v\n%s", err, msg)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "--dt", "2e-4", "autosnn"}, "--dt is for a NIR file"},
		{[]string{"show", "--dt", "0", mlp}, "--dt 0, want"},
		{[]string{"show", "--T", "0", mlp}, "--T"},
		{[]string{"compile", "--model", mlp, "--T", "0", "--out", out}, "--T 0, want"},
		{[]string{"compile", "--model", "autosnn", "--random-weights", "1", "--dt", "1e-3", "--out", out}, "--dt is for a NIR --model"},
		{[]string{"compile", "--model", filepath.Join("..", "..", "frontend", "testdata", "tiny-v1.ckpt"), "--T", "3", "--out", out}, "--T is for a NIR or architecture --model"},
	} {
		if _, err := runApp(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// writeFakeMNIST writes an MNIST-layout directory with the full split
// sizes (the CLI loads MNIST strictly): gzipped IDX files, labels i%10,
// the first 100 test images seeded noise and every other image black.
func writeFakeMNIST(t *testing.T, dir string) {
	t.Helper()
	r := rand.New(rand.NewPCG(18, 3))
	for _, part := range []struct {
		prefix string
		n      int
	}{{"train", 60000}, {"t10k", 10000}} {
		pix, labels := make([]byte, part.n*784), make([]byte, part.n)
		for i := range labels {
			labels[i] = byte(i % 10)
		}
		if part.prefix == "t10k" {
			for i := range 100 * 784 {
				pix[i] = byte(r.IntN(256))
			}
		}
		for _, f := range []struct {
			name string
			dims []uint32
			data []byte
		}{{"-images-idx3-ubyte.gz", []uint32{uint32(part.n), 28, 28}, pix}, {"-labels-idx1-ubyte.gz", []uint32{uint32(part.n)}, labels}} {
			var b bytes.Buffer
			z := gzip.NewWriter(&b)
			z.Write([]byte{0, 0, 8, byte(len(f.dims))})
			binary.Write(z, binary.BigEndian, f.dims)
			z.Write(f.data)
			if err := z.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, part.prefix+f.name), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestEvalNIR: eval takes a NIR file (imported with --dt and --T) with
// --data, and reports it as a NIR file.
func TestEvalNIR(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full-size fake MNIST")
	}
	dir := t.TempDir()
	b := ir.NewBuilder("mlp", ir.Header{T: 4, Classes: 10, Vote: 1, Loss: ir.MSERate})
	x := b.Input("input", ir.Shape{C: 1, H: 28, W: 28})
	b.Layer("out", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(x, 10))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	frontend.RandomWeights(g, 3)
	model := filepath.Join(dir, "mlp.nir")
	if err := frontend.WriteNIRFile(model, g, frontend.NIROptions{}); err != nil {
		t.Fatal(err)
	}
	mnist := filepath.Join(dir, "mnist")
	if err := os.Mkdir(mnist, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFakeMNIST(t, mnist)
	out, _, err := runTrainApp(t, "eval", "--model", model, "--data", "mnist:"+mnist, "--T", "4", "--eval-limit", "100", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", out)
	for _, want := range []string{"model mlp (NIR file, dt 0.0001 s, T 4) on mnist:" + mnist + " test: 100 images", "accuracy", "out"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--model", model, "--quiet"}, "(NIR file, dt 0.0001 s, T 10) records no data spec; pass --data"},
		{[]string{"eval", "--model", model, "--data", "mnist:" + mnist, "--dt", "0"}, "--dt 0, want"},
		{[]string{"eval", "--model", filepath.Join("..", "..", "frontend", "testdata", "tiny-v1.ckpt"), "--T", "3"}, "--dt and --T are for a NIR --model"},
	} {
		if _, _, err := runTrainApp(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestTrainNIR: train --arch x.nir fine-tunes the imported graph: it starts
// from the file's weights (with a learning rate of 1e-12 the checkpoint's
// weights are the file's to 1e-6), and shape-changing flags are refused.
func TestTrainNIR(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full-size fake MNIST")
	}
	dir := t.TempDir()
	b := ir.NewBuilder("mlp", ir.Header{T: 2, Classes: 10, Vote: 1, Loss: ir.MSERate})
	x := b.Input("input", ir.Shape{C: 1, H: 28, W: 28})
	b.Layer("out", ir.Neuron{Model: ir.LIF, Tau: 2, Threshold: 1}, ir.Role{Kind: ir.RoleHead}, ir.Full(x, 10))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	frontend.RandomWeights(g, 5)
	model := filepath.Join(dir, "mlp.nir")
	if err := frontend.WriteNIRFile(model, g, frontend.NIROptions{}); err != nil {
		t.Fatal(err)
	}
	mnist := filepath.Join(dir, "mnist")
	if err := os.Mkdir(mnist, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFakeMNIST(t, mnist)
	ck := filepath.Join(dir, "ft.ckpt")
	out, errOut, err := runTrainApp(t, "train", "--arch", model, "--T", "2", "--data", "mnist:"+mnist, "--lr", "1e-12",
		"--batch", "8", "--limit", "16", "--eval-split", "none", "--quiet", "--out", ck)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out, "training mlp") || !strings.Contains(out, "wrote "+ck) {
		t.Errorf("train output:\n%s", out)
	}
	m, err := frontend.ReadModel(ck)
	if err != nil {
		t.Fatal(err)
	}
	want, got := g.Proj(g.Output().Name+".dense"), m.Graph.In(m.Graph.Output())
	if want == nil {
		want = g.In(g.Output())[0]
	}
	if len(got) != 1 || len(got[0].Weights) != len(want.Weights) {
		t.Fatalf("fine-tuned graph:\n%v", m.Graph)
	}
	for i, w := range want.Weights {
		if d := got[0].Weights[i] - w; d > 1e-6 || d < -1e-6 {
			t.Fatalf("weight %d: %g after fine-tuning at lr 1e-12, %g in the file: not started from the file", i, got[0].Weights[i], w)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--arch", model, "--C", "4", "--data", "mnist:" + mnist, "--out", ck}, "--C with the NIR --arch"},
		{[]string{"train", "--arch", "autosnn", "--dt", "1e-3", "--data", "mnist:" + mnist, "--out", ck}, "--dt is for a NIR --arch"},
	} {
		if _, _, err := runTrainApp(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestNIRToReport is docs/nir.md's example: a NIR file (cuba.nir, its
// CubaLIF on Loihi's current-based compartments) compiled for loihi1,
// simulated, and the simulation written as an HTML report.
func TestNIRToReport(t *testing.T) {
	cuba := filepath.Join("..", "..", "frontend", "testdata", "nir", "cuba.nir")
	dir := t.TempDir()
	mapping, out := filepath.Join(dir, "map"), filepath.Join(dir, "sim")
	if msg, err := runApp(t, "compile", "--quiet", "--model", cuba, "--chip", "loihi1", "--out", mapping); err != nil {
		t.Fatalf("compile: %v\n%s", err, msg)
	}
	msg, err := runApp(t, "simulate", "--mapping", mapping, "--images", "3", "--report", "--quiet", "--out", out)
	if err != nil || !strings.Contains(msg, "report.html") {
		t.Fatalf("simulate --report: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cuba on the virtual loihi1", "<td>cuba</td><td>cuba_lif</td>", "synthetic inputs (seed 1)", "simulate --mapping"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
