package fleet

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go/jetstream"
)

// PutFile stores the file at path in the object store under its SHA-256
// (once: an object of that hash already there is kept) and returns it as an
// input.
func (f *Fleet) PutFile(ctx context.Context, path string) (Input, error) {
	sum, err := fileHash(path)
	if err != nil {
		return Input{}, err
	}
	return Input{SHA256: sum}, f.put(ctx, sum, path)
}

// PutDir stores the regular files under dir as a deterministic tar (paths
// sorted, no times, owners or modes but the executable bit) under the
// tar's SHA-256 and returns it as a directory input.
func (f *Fleet) PutDir(ctx context.Context, dir string) (Input, error) {
	tmp, err := os.CreateTemp("", "autosnn-fleet-*.tar")
	if err != nil {
		return Input{}, fmt.Errorf("fleet: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if err := writeTar(io.MultiWriter(tmp, h), dir); err != nil {
		return Input{}, err
	}
	if err := tmp.Close(); err != nil {
		return Input{}, fmt.Errorf("fleet: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return Input{SHA256: sum, Dir: true}, f.put(ctx, sum, tmp.Name())
}

// put uploads path as object sum unless the store has it.
func (f *Fleet) put(ctx context.Context, sum, path string) error {
	if _, err := f.Inputs.GetInfo(ctx, sum); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("fleet: object store: %w", err)
	}
	r, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	defer r.Close()
	if _, err := f.Inputs.Put(ctx, jetstream.ObjectMeta{Name: sum}, r); err != nil {
		return fmt.Errorf("fleet: storing %s: %w", path, err)
	}
	return nil
}

// PutBytes stores b in the object store under its SHA-256 (once) and
// returns it as an input.
func (f *Fleet) PutBytes(ctx context.Context, b []byte) (Input, error) {
	sum := sha256.Sum256(b)
	in := Input{SHA256: hex.EncodeToString(sum[:])}
	if _, err := f.Inputs.GetInfo(ctx, in.SHA256); err == nil {
		return in, nil
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return in, fmt.Errorf("fleet: object store: %w", err)
	}
	if _, err := f.Inputs.PutBytes(ctx, in.SHA256, b); err != nil {
		return in, fmt.Errorf("fleet: object store: %w", err)
	}
	return in, nil
}

// GetBytes returns the object sum of the object store, checked against its
// SHA-256.
func (f *Fleet) GetBytes(ctx context.Context, sum string) ([]byte, error) {
	b, err := f.Inputs.GetBytes(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("fleet: object %.12s: %w", sum, err)
	}
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("fleet: object %.12s: its bytes hash to %.12s", sum, hex.EncodeToString(got[:]))
	}
	return b, nil
}

func fileHash(path string) (string, error) {
	r, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("fleet: input: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("fleet: input %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeTar writes the regular files under dir to w in lexical order.
func writeTar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		st, err := os.Stat(path) // follows a symbolic link to its file
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		mode := int64(0o644)
		if st.Mode()&0o111 != 0 {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: filepath.ToSlash(rel), Mode: mode, Size: st.Size(), Format: tar.FormatPAX}); err != nil {
			return err
		}
		r, err := os.Open(path)
		if err != nil {
			return err
		}
		defer r.Close()
		if _, err := io.CopyN(tw, r, st.Size()); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("fleet: input directory %s: %w", dir, err)
	}
	if n == 0 {
		return fmt.Errorf("fleet: input directory %s holds no files", dir)
	}
	return tw.Close()
}

// Inputs gives a handler the files of its job's inputs, downloaded once
// into the worker's cache directory and checked against their hashes.
type Inputs struct {
	f     *Fleet
	cache string
	job   Job
}

// TransientError marks an error a retry may not have (the network, the
// object store): the job is redelivered instead of failed.
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Path returns the local path of the job's input role: a file, or the
// directory a directory input unpacks to.
//
// Workers (goroutines or processes) may share one cache directory: each
// downloads into a temporary name and renames it into place only after
// the hash checked, so a path that exists is complete; two workers that
// download the same input at once both succeed, the second rename
// replacing the first file or, for a directory, finding it in place.
func (in *Inputs) Path(ctx context.Context, role string) (string, error) {
	inp, ok := in.job.Inputs[role]
	if !ok {
		return "", fmt.Errorf("fleet: job %s has no input %q", in.job.Kind, role)
	}
	dst := filepath.Join(in.cache, inp.SHA256)
	if inp.Dir {
		dst += ".d"
	}
	if _, err := os.Stat(dst); err == nil {
		return dst, nil // complete: only renamed into place after the hash checked
	}
	if err := os.MkdirAll(in.cache, 0o755); err != nil {
		return "", fmt.Errorf("fleet: cache: %w", err)
	}
	obj, err := in.f.Inputs.Get(ctx, inp.SHA256)
	if err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return "", fmt.Errorf("fleet: input %s (%s) is not in the object store %s", role, inp.SHA256[:12], InputsStore)
		}
		return "", &TransientError{fmt.Errorf("fleet: input %s: %w", role, err)}
	}
	defer obj.Close()
	tmp, err := os.CreateTemp(in.cache, inp.SHA256+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("fleet: cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), obj); err != nil {
		return "", &TransientError{fmt.Errorf("fleet: downloading input %s: %w", role, err)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != inp.SHA256 {
		return "", &TransientError{fmt.Errorf("fleet: input %s: downloaded bytes hash to %s, want %s", role, got[:12], inp.SHA256[:12])}
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("fleet: cache: %w", err)
	}
	if !inp.Dir {
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return "", fmt.Errorf("fleet: cache: %w", err)
		}
		return dst, nil
	}
	tdir, err := os.MkdirTemp(in.cache, inp.SHA256+".tmpdir-*")
	if err != nil {
		return "", fmt.Errorf("fleet: cache: %w", err)
	}
	defer os.RemoveAll(tdir)
	if err := untar(tmp.Name(), tdir); err != nil {
		return "", fmt.Errorf("fleet: input %s: %w", role, err)
	}
	if err := renameDir(tdir, dst); err != nil {
		return "", fmt.Errorf("fleet: cache: %w", err)
	}
	return dst, nil
}

// renameDir renames the complete directory tdir to dst; if another worker
// sharing the cache put dst in place first, tdir is left for the caller
// to remove and dst is kept.
func renameDir(tdir, dst string) error {
	err := os.Rename(tdir, dst)
	if err != nil {
		if fi, serr := os.Stat(dst); serr == nil && fi.IsDir() {
			return nil
		}
	}
	return err
}

// untar unpacks the tar file src into dir, refusing paths that leave it.
func untar(src, dir string) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		name := filepath.FromSlash(hd.Name)
		if hd.Typeflag != tar.TypeReg || !filepath.IsLocal(name) {
			return fmt.Errorf("tar entry %q: want a regular file inside the directory", hd.Name)
		}
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fs.FileMode(hd.Mode)&0o755)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, tr)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}
