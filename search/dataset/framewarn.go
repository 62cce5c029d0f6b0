package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The warnings found while integrating a frame cache (see integrateFile)
// are kept next to it in CACHE.warnings, one per line, so that a load served
// from the cache reports them as the first load did. The file is written
// (or a stale one removed) before the cache file is renamed into place, so
// a complete cache always has its warnings beside it.

func warningsPath(cache string) string { return cache + ".warnings" }

// writeWarnings stores the warnings of the cache file cache atomically; no
// warnings removes the file.
func writeWarnings(cache string, warnings []string) error {
	p := warningsPath(cache)
	if len(warnings) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("dataset: frame cache warnings: %w", err)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".tmp-*")
	if err != nil {
		return fmt.Errorf("dataset: frame cache warnings: %w", err)
	}
	_, err = f.WriteString(strings.Join(warnings, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("dataset: frame cache warnings %s: %w", p, err)
	}
	return nil
}

// readWarnings returns the warnings stored beside the cache file cache
// (none if there is no warnings file).
func readWarnings(cache string) ([]string, error) {
	b, err := os.ReadFile(warningsPath(cache))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: frame cache warnings: %w", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}
