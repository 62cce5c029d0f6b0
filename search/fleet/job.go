package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// jobVersion enters every job hash; bump it when a handler's result for
// the same description changes, so old results are not reused.
const jobVersion = "autosnn-fleet/1"

// Job is one unit of work: a kind (a Handler's name), its description and
// its inputs.
type Job struct {
	// Kind names the handler; letters, digits and '-' only (it is a
	// subject token).
	Kind string `json:"kind"`
	// Spec is the kind's description, deterministic JSON (marshalled from
	// a struct: the same work gives the same bytes).
	Spec json.RawMessage `json:"spec"`
	// Inputs maps a role ("supernet", "data") to an input in the object
	// store (Fleet.PutFile, Fleet.PutDir).
	Inputs map[string]Input `json:"inputs,omitempty"`
}

// Input is a content-addressed input: the SHA-256 (hex) of a file, or of
// the deterministic tar of a directory when Dir is set.
type Input struct {
	SHA256 string `json:"sha256"`
	Dir    bool   `json:"dir,omitempty"`
}

// NewJob returns a job of kind with spec marshalled to JSON.
func NewJob(kind string, spec any, inputs map[string]Input) (Job, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return Job{}, fmt.Errorf("fleet: job %s: %w", kind, err)
	}
	return Job{Kind: kind, Spec: b, Inputs: inputs}, nil
}

var kindRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Check reports whether j is well formed.
func (j Job) Check() error {
	if !kindRE.MatchString(j.Kind) {
		return fmt.Errorf("fleet: job kind %q, want lower-case letters, digits and '-'", j.Kind)
	}
	if !json.Valid(j.Spec) {
		return fmt.Errorf("fleet: job %s: the description is not valid JSON", j.Kind)
	}
	for role, in := range j.Inputs {
		if !hashRE.MatchString(in.SHA256) {
			return fmt.Errorf("fleet: job %s: input %s has hash %q, want 64 hex digits", j.Kind, role, in.SHA256)
		}
	}
	return nil
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Hash returns the job's identity: the hex SHA-256 of the job version and
// the job's JSON (map keys sorted, so it is canonical).
func (j Job) Hash() string {
	b, _ := json.Marshal(j) // a Job always marshals: Spec is checked JSON
	h := sha256.New()
	h.Write([]byte(jobVersion + "\n"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Handler runs a job and returns its result. It must be a pure function of
// the job and its inputs (the same bytes for the same job) so results are
// idempotent; an error means the job cannot succeed (bad input) and fails
// the run. in fetches the job's inputs; errors it returns are transient
// (the job is retried on another delivery).
type Handler func(ctx context.Context, job Job, in *Inputs) ([]byte, error)

// result is what the results bucket stores for a job: its result bytes or
// its error.
type result struct {
	OK  []byte `json:"ok,omitempty"`
	Err string `json:"err,omitempty"`
	// Object, for a result too large for a message, is the SHA-256 of the
	// result's bytes in the object store InputsStore (OK is then empty).
	Object string `json:"object,omitempty"`
}

// JobError is the error of a job that failed on a worker.
type JobError struct {
	Index int    // the job's position in Fleet.Run's list
	Kind  string // its kind
	Hash  string // its hash
	Msg   string // the handler's error
}

func (e *JobError) Error() string {
	return fmt.Sprintf("fleet: job %d (%s %s) failed: %s", e.Index, e.Kind, e.Hash[:12], strings.TrimPrefix(e.Msg, "fleet: "))
}
