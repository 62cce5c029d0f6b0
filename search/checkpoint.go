package search

// This file implements the search checkpoint: what an interrupted search
// needs to continue to exactly the result of an uninterrupted one.

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/autosnn/autosnn/ir"
)

// CacheEntry is one memoised evaluation of a Cache: the architecture's key
// (Arch.Key) and what evaluating it measured.
type CacheEntry struct {
	Key  string
	Eval Evaluation
}

// Snapshot returns the cache's evaluations, sorted by key. A cache
// restored from it answers every one of them without calling its
// evaluator.
func (c *Cache) Snapshot() []CacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CacheEntry, 0, len(c.memo))
	for k, e := range c.memo {
		out = append(out, CacheEntry{Key: k, Eval: e})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Restore adds entries to the cache (an entry already present is
// replaced). Misses is not changed: restored evaluations cost nothing.
func (c *Cache) Restore(entries []CacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range entries {
		c.memo[e.Key] = e.Eval
	}
}

// Len returns the number of evaluations the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.memo)
}

// Checkpoint is the state of a run of searches (one per lambda) sharing a
// Cache. The searches are deterministic functions of their configuration
// and of the evaluations, and every evaluation is in Evals, so a run
// resumed from a Checkpoint replays the finished rounds from the cache
// (the random draws, populations and histories come out identical, with no
// evaluator call) and continues evaluating where the interrupted run
// stopped: it ends with exactly the result of an uninterrupted run.
type Checkpoint struct {
	// Run holds the settings that define the run (flag name -> value); a
	// resumed run must have the same (SameRun).
	Run map[string]string
	// Lambda is the 0-based index of the search in progress (the number of
	// searches finished); Round the rounds of that search completed.
	Lambda, Round int
	// NewEvals[i] is the number of architectures search i evaluated that
	// no earlier search had (len(NewEvals) = Lambda+1, or Lambda when all
	// are done).
	NewEvals []int
	// Evals are all evaluations so far (Cache.Snapshot).
	Evals []CacheEntry
}

// checkpointMagic opens every search checkpoint file.
const checkpointMagic = "autosnn search checkpoint v1\n"

// Write writes the checkpoint to path atomically (a killed write leaves
// the previous checkpoint).
func (ck *Checkpoint) Write(path string) error {
	var b bytes.Buffer
	b.WriteString(checkpointMagic)
	if err := gob.NewEncoder(&b).Encode(ck); err != nil {
		return fmt.Errorf("search: checkpoint %s: %w", path, err)
	}
	if err := ir.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("search: checkpoint: %w", err)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint written by Checkpoint.Write.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("search: checkpoint: %w", err)
	}
	if !bytes.HasPrefix(data, []byte(checkpointMagic)) {
		return nil, fmt.Errorf("search: %s is not an autosnn search checkpoint (want a file starting %q)", path, strings.TrimSpace(checkpointMagic))
	}
	ck := new(Checkpoint)
	if err := gob.NewDecoder(bytes.NewReader(data[len(checkpointMagic):])).Decode(ck); err != nil {
		return nil, fmt.Errorf("search: checkpoint %s: corrupt: %w", path, err)
	}
	if ck.Lambda < 0 || ck.Round < 0 || len(ck.NewEvals) < ck.Lambda || len(ck.NewEvals) > ck.Lambda+1 {
		return nil, fmt.Errorf("search: checkpoint %s: search %d, round %d with %d counts of new evaluations: inconsistent", path, ck.Lambda, ck.Round, len(ck.NewEvals))
	}
	return ck, nil
}

// SameRun returns an error naming every setting of run that differs from
// the checkpoint's (in name order), as "--name got (the checkpoint's run
// has want)"; path names the checkpoint in the message.
func (ck *Checkpoint) SameRun(path string, run map[string]string) error {
	names := make([]string, 0, len(run)+len(ck.Run))
	for k := range run {
		names = append(names, k)
	}
	for k := range ck.Run {
		if _, ok := run[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var diffs []string
	for _, k := range names {
		got, ok1 := run[k]
		want, ok2 := ck.Run[k]
		switch {
		case !ok2:
			diffs = append(diffs, fmt.Sprintf("--%s %s (the checkpoint's run does not set it)", k, got))
		case !ok1:
			diffs = append(diffs, fmt.Sprintf("--%s unset (the checkpoint's run has %s)", k, want))
		case got != want:
			diffs = append(diffs, fmt.Sprintf("--%s %s (the checkpoint's run has %s)", k, got, want))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("search: --resume continues the run of %s with its own settings; refusing %s", path, strings.Join(diffs, ", "))
	}
	return nil
}
