package train

import (
	"context"
	"errors"
	"fmt"
)

// Interrupted is the error of a training run stopped by its context
// (Ctrl-C, SIGTERM): the run stopped between two batches and, when
// Checkpoint is not "", wrote that point there atomically, so that resuming
// from it continues bit-identically to an uninterrupted run. It wraps the
// context's error (errors.Is(err, context.Canceled) holds).
type Interrupted struct {
	What       string // "train" or "supernet"
	Epoch      int    // 1-based epoch in which the run stopped
	Batch      int    // batches of that epoch done
	Step       int    // optimiser steps done
	Checkpoint string // the checkpoint written at the stop point, or ""
	Err        error  // the context's error
	// Where, when not "", replaces "epoch E after batch B (step S)" in the
	// message (a search stops between rounds, not batches).
	Where string
}

func (e *Interrupted) Error() string {
	where := fmt.Sprintf("epoch %d after batch %d (step %d)", e.Epoch, e.Batch, e.Step)
	if e.Where != "" {
		where = e.Where
	}
	s := fmt.Sprintf("%s: interrupted in %s", e.What, where)
	if e.Checkpoint != "" {
		s += "; checkpoint of that point written to " + e.Checkpoint
	}
	return s
}

func (e *Interrupted) Unwrap() error { return e.Err }

// StopAt turns err, the error of a run whose context ctx is done, into an
// *Interrupted after writing the state at the stop point with save (when
// path is not ""). It returns err unchanged when ctx is not done (a real
// failure, whose state may be inconsistent, is never saved). A trainer
// stops only between batches, so its state is always one it can resume.
func StopAt(ctx context.Context, err error, what string, epoch, batch, step int, path string, save func(string) error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	var done *Interrupted
	if errors.As(err, &done) {
		return err
	}
	e := &Interrupted{What: what, Epoch: epoch + 1, Batch: batch, Step: step, Err: ctx.Err()}
	if path != "" {
		if serr := save(path); serr != nil {
			return fmt.Errorf("%s: interrupted in epoch %d after batch %d, and the checkpoint failed: %w", what, epoch+1, batch, serr)
		}
		e.Checkpoint = path
	}
	return e
}
