package pipeline

// This file holds the checks every command runs on its output paths and
// lists before any work starts, so a run fails in a second rather than
// after an epoch (issue #19). They are exported so a Go caller of the
// pipeline gets the same checks the command line does.

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PrepareOut makes dir ready to receive a command's output files: it
// creates dir and its parents when missing, refuses a dir that exists as a
// file (or as anything but a directory), and checks that a file can be
// created in it by creating and removing a probe file. Nothing else is
// written; a directory created here stays (empty) when the run later fails.
// dir "" is an error.
func PrepareOut(dir string) error {
	if dir == "" {
		return errors.New("pipeline: output directory is empty, want a path")
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("pipeline: output directory %s exists and is a file, want a directory (or a new path)", dir)
	case err != nil:
		if f := fileAncestor(dir); f != "" {
			return fmt.Errorf("pipeline: output directory %s: %s is a file, want a directory", dir, f)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("pipeline: cannot create output directory %s: %w", dir, unwrapPath(err))
		}
	}
	return probeWritable(dir, "output directory "+dir)
}

// CheckOutFile checks that path can be written as an output file (a
// checkpoint): path must not be a directory, its directory is created when
// missing and must accept a new file (checked by creating and removing a
// probe file). An existing file at path is left as it is.
func CheckOutFile(path string) error {
	if path == "" {
		return errors.New("pipeline: output file is empty, want a path")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("pipeline: output file %s is a directory, want a file path", path)
	} else if err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("pipeline: output file %s exists and is not a regular file", path)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("pipeline: output file %s: %s is a file, want a directory", path, dir)
	case err != nil:
		if f := fileAncestor(dir); f != "" {
			return fmt.Errorf("pipeline: output file %s: %s is a file, want a directory", path, f)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("pipeline: output file %s: cannot create its directory: %w", path, unwrapPath(err))
		}
	}
	return probeWritable(dir, "output file "+path+": directory "+dir)
}

// fileAncestor returns the nearest existing ancestor of path (or path
// itself) when it is not a directory, else "".
func fileAncestor(path string) string {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil {
			if fi.IsDir() {
				return ""
			}
			return p
		}
		if filepath.Dir(p) == p {
			return ""
		}
	}
}

// probeWritable creates and removes a file in dir; what names dir in the
// error.
func probeWritable(dir, what string) error {
	f, err := os.CreateTemp(dir, ".autosnn-probe-*")
	if err != nil {
		return fmt.Errorf("pipeline: %s is not writable: %w", what, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("pipeline: %s: cannot remove probe file: %w", what, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the *PathError's own operation and path (the message
// already names them) and keeps the reason, e.g. "permission denied".
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParsePositives parses a comma-separated list of positive finite numbers
// (link bandwidths, buffer depths). Every element must parse; the error
// names the first that does not. An empty list is an error.
func ParsePositives(list string) ([]float64, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("empty list, want comma-separated positive numbers")
	}
	var out []float64
	for _, s := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a positive number", strings.TrimSpace(s))
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseNumbers parses a comma-separated list of finite numbers (lambda
// exponents). The error names the first element that does not parse.
func ParseNumbers(list string) ([]float64, error) {
	if strings.TrimSpace(list) == "" {
		return nil, errors.New("empty list, want comma-separated numbers")
	}
	var out []float64
	for _, s := range strings.Split(list, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(s))
		}
		out = append(out, v)
	}
	return out, nil
}
