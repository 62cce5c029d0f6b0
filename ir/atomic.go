package ir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempPattern is the os.CreateTemp pattern of path's temporary files:
// ".NAME.tmp" followed by CreateTemp's decimal random part.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp*" }

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed over path, so that path holds either its
// old content or data, never a part. The file gets mode 0644, what
// os.WriteFile gives under the usual umask, not CreateTemp's private 0600.
// Temporaries of path left by a killed run are removed first
// (RemoveStaleTemps), and the temporary is removed on every error.
func WriteFileAtomic(path string, data []byte) error {
	RemoveStaleTemps(path)
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// RemoveStaleTemps removes the temporary files WriteFileAtomic makes for
// path (".NAME.tmpDIGITS" beside it) that a killed run left behind; a run
// that writes path calls it at start-up. It returns the names removed.
// Two processes writing the same path at once are not supported (one
// could remove the other's temporary; the other's write then fails).
func RemoveStaleTemps(path string) []string {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp"
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || !e.Type().IsRegular() || strings.Trim(rest, "0123456789") != "" {
			continue
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			removed = append(removed, name)
		}
	}
	return removed
}
