package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareOut(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(dir, "a", "b", "c")
	if err := PrepareOut(nested); err != nil {
		t.Fatalf("PrepareOut(new nested dir): %v", err)
	}
	if fi, err := os.Stat(nested); err != nil || !fi.IsDir() {
		t.Fatalf("PrepareOut did not create %s: %v", nested, err)
	}
	if ents, _ := os.ReadDir(nested); len(ents) != 0 {
		t.Errorf("PrepareOut left %d entries (the probe?) in %s", len(ents), nested)
	}
	if err := PrepareOut(nested); err != nil {
		t.Errorf("PrepareOut(existing dir): %v", err)
	}
	for _, c := range []struct{ dir, want string }{
		{"", "output directory is empty"},
		{file, "output directory " + file + " exists and is a file"},
		{filepath.Join(file, "sub", "x"), "output directory " + filepath.Join(file, "sub", "x") + ": " + file + " is a file, want a directory"},
	} {
		if err := PrepareOut(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("PrepareOut(%q) = %v, want an error containing %q", c.dir, err, c.want)
		}
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := PrepareOut(ro); err == nil || !strings.Contains(err.Error(), "is not writable") {
			t.Errorf("PrepareOut(read-only dir) = %v, want not writable", err)
		}
	}
}

func TestCheckOutFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckOutFile(file); err != nil {
		t.Errorf("CheckOutFile(existing file): %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("CheckOutFile changed the existing file to %q", b)
	}
	newFile := filepath.Join(dir, "new", "m.ckpt")
	if err := CheckOutFile(newFile); err != nil {
		t.Errorf("CheckOutFile(file in a new dir): %v", err)
	}
	if _, err := os.Stat(newFile); !os.IsNotExist(err) {
		t.Errorf("CheckOutFile created %s (%v), want only its directory", newFile, err)
	}
	for _, c := range []struct{ path, want string }{
		{"", "output file is empty"},
		{dir, "output file " + dir + " is a directory"},
		{filepath.Join(file, "m.ckpt"), file + " is a file, want a directory"},
		{filepath.Join(file, "sub", "m.ckpt"), file + " is a file, want a directory"},
	} {
		if err := CheckOutFile(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckOutFile(%q) = %v, want an error containing %q", c.path, err, c.want)
		}
	}
}

func TestParseLists(t *testing.T) {
	if v, err := ParsePositives("0.5, 1,2"); err != nil || len(v) != 3 || v[0] != 0.5 || v[2] != 2 {
		t.Errorf("ParsePositives(0.5, 1,2) = %v, %v", v, err)
	}
	for list, want := range map[string]string{"1,x": `"x" is not a positive number`, "1,0": `"0" is not a positive number`,
		"-1": `"-1" is not`, "1,,2": `"" is not`, "": "empty list", "inf": `"inf" is not`} {
		if _, err := ParsePositives(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePositives(%q) = %v, want %q", list, err, want)
		}
	}
	if v, err := ParseNumbers("0,-0.08"); err != nil || len(v) != 2 || v[1] != -0.08 {
		t.Errorf("ParseNumbers(0,-0.08) = %v, %v", v, err)
	}
	for list, want := range map[string]string{"0,abc": `"abc" is not a number`, "NaN": `"NaN" is not`, " ": "empty list"} {
		if _, err := ParseNumbers(list); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseNumbers(%q) = %v, want %q", list, err, want)
		}
	}
}
