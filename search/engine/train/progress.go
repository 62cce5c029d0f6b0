package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ProgressMode is how a Progress shows long-running work.
type ProgressMode int

const (
	// ProgressNone shows nothing.
	ProgressNone ProgressMode = iota
	// ProgressPlain writes whole lines, for a pipe or a file: one when a
	// kept task (an epoch) ends, one when any task is stopped and, while a
	// task runs, at most one per Progress.Interval, each with the figures
	// a bar would show.
	ProgressPlain
	// ProgressBar redraws one bar per task on a line (carriage returns),
	// for a terminal.
	ProgressBar
)

// ProgressModes are the names ParseProgressMode accepts, "auto" first.
var ProgressModes = []string{"auto", "bar", "plain", "none"}

// DefaultProgressInterval is the least time between two plain lines of one
// running task.
const DefaultProgressInterval = 10 * time.Second

// ParseProgressMode returns the mode named s ("bar", "plain" or "none");
// "auto" (or "") is ProgressBar when terminal is true and ProgressPlain
// otherwise. This is the one place that decides how progress is shown.
func ParseProgressMode(s string, terminal bool) (ProgressMode, error) {
	switch s {
	case "auto", "":
		if terminal {
			return ProgressBar, nil
		}
		return ProgressPlain, nil
	case "bar":
		return ProgressBar, nil
	case "plain":
		return ProgressPlain, nil
	case "none":
		return ProgressNone, nil
	}
	return ProgressNone, fmt.Errorf("progress mode %q, want one of %s", s, strings.Join(ProgressModes, ", "))
}

// IsTerminal reports whether w is an *os.File open on a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Progress is where long-running work (training epochs, evaluations,
// simulations, search rounds) reports how far it is. A nil *Progress, or
// one in ProgressNone mode, shows nothing; every method accepts nil.
type Progress struct {
	w    io.Writer
	mode ProgressMode
	// Interval is the least time between two plain lines of one running
	// task (DefaultProgressInterval when 0).
	Interval time.Duration
	// now is the clock (time.Now when nil; tests set it).
	now    func() time.Time
	mu     sync.Mutex
	status time.Time // last Status line
}

// NewProgress returns a Progress writing to w in mode, or nil when w is
// nil or mode is ProgressNone.
func NewProgress(w io.Writer, mode ProgressMode) *Progress {
	if w == nil || mode == ProgressNone {
		return nil
	}
	return &Progress{w: w, mode: mode}
}

// Mode returns p's mode (ProgressNone for nil).
func (p *Progress) Mode() ProgressMode {
	if p == nil {
		return ProgressNone
	}
	return p.mode
}

// Printf writes one line of its own (a newline is added when missing):
// stage lines such as "lambda 0.1: 40/200 evaluated".
func (p *Progress) Printf(format string, args ...any) {
	if p == nil {
		return
	}
	s := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, s)
}

// Status writes a line about a running stage (a search's rounds): every
// such line on a terminal, and in plain mode the final one and at most one
// per Interval before it.
func (p *Progress) Status(final bool, format string, args ...any) {
	if p == nil {
		return
	}
	if p.mode == ProgressPlain && !final {
		now := p.clock()
		if !p.status.IsZero() && now.Sub(p.status) < p.interval() {
			return
		}
		p.status = now
	}
	p.Printf(format, args...)
}

func (p *Progress) interval() time.Duration {
	if p.Interval > 0 {
		return p.Interval
	}
	return DefaultProgressInterval
}

func (p *Progress) clock() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// TaskSpec describes a task: N steps, Done of them already done (a resumed
// epoch), its description, whether its final line stays (Keep: a training
// epoch) or is cleared from a terminal (an evaluation pass), and the unit of
// a step when the rate is worth showing ("img" gives img/s).
type TaskSpec struct {
	N, Done int
	Desc    string
	Keep    bool
	Unit    string
}

// Task is one running task of a Progress. A nil *Task does nothing.
type Task struct {
	p     *Progress
	spec  TaskSpec
	desc  string
	done  int
	start time.Time
	last  time.Time // last plain line
	bar   *progressbar.ProgressBar
	ended bool
	shown bool // a plain line was written
}

// Start begins a task; it returns nil when p shows nothing. End it with
// Finish when complete, and defer Close so that a task stopped early
// (cancellation, an error) leaves the line it drew ended.
func (p *Progress) Start(s TaskSpec) *Task {
	if p == nil || p.mode == ProgressNone {
		return nil
	}
	t := &Task{p: p, spec: s, desc: s.Desc, done: s.Done, start: p.clock()}
	t.last = t.start
	if p.mode == ProgressBar {
		opts := []progressbar.Option{progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(s.Desc),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(250 * time.Millisecond),
			progressbar.OptionSetWidth(20)}
		if s.Unit != "" {
			opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(s.Unit))
		}
		if s.Keep {
			opts = append(opts, progressbar.OptionSetElapsedTime(true), progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }))
		} else {
			opts = append(opts, progressbar.OptionClearOnFinish())
		}
		t.bar = progressbar.NewOptions(s.N, opts...)
		if s.Done > 0 {
			_ = t.bar.Set(s.Done)
		}
	}
	return t
}

// Describe replaces the task's description (the figures shown beside the
// count: loss, accuracy, spikes).
func (t *Task) Describe(desc string) {
	if t == nil {
		return
	}
	t.desc = desc
	if t.bar != nil {
		t.bar.Describe(desc)
	}
}

// Add advances the task by n steps.
func (t *Task) Add(n int) {
	if t == nil || t.ended {
		return
	}
	t.done += n
	if t.bar != nil {
		_ = t.bar.Add(n)
		return
	}
	now := t.p.clock()
	if now.Sub(t.last) >= t.p.interval() && t.done < t.spec.N {
		t.last, t.shown = now, true
		t.p.Printf("%s", t.line(now, ""))
	}
}

// line is the plain form of the task's state.
func (t *Task) line(now time.Time, end string) string {
	el := now.Sub(t.start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d/%d", t.desc, t.done, t.spec.N)
	if t.spec.N > 0 {
		fmt.Fprintf(&b, " (%d%%)", 100*t.done/t.spec.N)
	}
	fmt.Fprintf(&b, ", %s", el.Round(time.Second))
	if t.spec.Unit != "" && el > 0 {
		fmt.Fprintf(&b, ", %.1f %s/s", float64(t.done-t.spec.Done)/el.Seconds(), t.spec.Unit)
	}
	if end != "" {
		b.WriteString(", " + end)
	} else if run := t.done - t.spec.Done; run > 0 && t.done < t.spec.N {
		eta := time.Duration(float64(el) / float64(run) * float64(t.spec.N-t.done))
		fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
	}
	return b.String()
}

// Finish ends a complete task: a terminal keeps its bar (Keep) or clears
// it; plain mode writes the task's final line, for a task that is not
// kept (an evaluation pass inside a stage) only when it ran long enough to
// have written a line before.
func (t *Task) Finish() {
	if t == nil || t.ended {
		return
	}
	t.ended = true
	if t.bar != nil {
		_ = t.bar.Finish()
		return
	}
	if t.spec.Keep || t.shown {
		t.p.Printf("%s", t.line(t.p.clock(), "done"))
	}
}

// Close ends a task that was not finished (stopped by cancellation or an
// error) so that what is printed next starts on a line of its own: a bar's
// line is ended where it stood, plain mode says where the task stopped.
// It does nothing after Finish.
func (t *Task) Close() {
	if t == nil || t.ended {
		return
	}
	t.ended = true
	if t.bar != nil {
		t.p.Printf("")
		return
	}
	t.p.Printf("%s", t.line(t.p.clock(), "stopped"))
}
