package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// KindEcho is the trivial job: it returns its description. It measures
// the fleet's own overhead (jobs per second) and serves the tests.
const KindEcho = "echo"

// EchoSpec describes an echo job.
type EchoSpec struct {
	N int `json:"n"` // any number: distinct N, distinct jobs
	// Sleep is how long the job takes (to test heartbeats and kills).
	Sleep time.Duration `json:"sleep,omitempty"`
	// Fail, when not "", is the job's error (a bad input).
	Fail string `json:"fail,omitempty"`
	// Pad makes the job, and its result, larger (to test a result too
	// large for a message).
	Pad string `json:"pad,omitempty"`
}

// Echo runs an echo job.
func Echo(ctx context.Context, job Job, _ *Inputs) ([]byte, error) {
	var s EchoSpec
	if err := json.Unmarshal(job.Spec, &s); err != nil {
		return nil, fmt.Errorf("fleet: echo job: %w", err)
	}
	if s.Fail != "" {
		return nil, fmt.Errorf("fleet: echo job %d: %s", s.N, s.Fail)
	}
	if s.Sleep > 0 {
		select {
		case <-time.After(s.Sleep):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return job.Spec, nil
}

// EchoJobs returns n echo jobs numbered from first.
func EchoJobs(first, n int, sleep time.Duration) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i], _ = NewJob(KindEcho, EchoSpec{N: first + i, Sleep: sleep}, nil) // an EchoSpec always marshals
	}
	return jobs
}
