package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autosnn/autosnn/search/dataset"
)

func runData(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"autosnn", "data"}, args...))
	return out.String(), err
}

func TestDataInspectErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"inspect"}, "got 0 arguments, want one data SPEC"},
		{[]string{"inspect", "imagenet:/x"}, "want one of mnist, fashion-mnist, cifar10"},
		{[]string{"inspect", "mnist", "--out", "x"}, "flag --out after the spec"},
		{[]string{"inspect", "--split", "dev", "mnist"}, "unknown split \"dev\""},
		{[]string{"inspect", "--integration", "both", "mnist"}, "want number or time"},
		{[]string{"inspect", "cifar10:" + filepath.Join(os.TempDir(), "autosnn-no-such-dir")}, "no such file"},
	}
	for _, c := range cases {
		_, err := runData(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("data %v: got error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func TestDataInspectMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	if _, err := dataset.LocateMNIST(context.Background()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	out, err := runData(t, "inspect", "--out", dir, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"dataset    mnist (static)",
		"splits     train 48000, val 12000, full-train 60000, test 10000",
		"normalise  mean [0.1307] std [0.3081]",
		"      1      1   5470  1272  1135",
		"row 9: samples [4 19 22 33 43 45 48 54], labels [9 9 9 9 9 9 9 9]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(filepath.Join(dir, "mnist-train-samples.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 8 columns and 10 rows of 84-pixel tiles with 2-pixel gaps.
	if b := img.Bounds(); b.Dx() != 8*86+2 || b.Dy() != 10*86+2 {
		t.Errorf("grid is %dx%d, want %dx%d", b.Dx(), b.Dy(), 8*86+2, 10*86+2)
	}
}
