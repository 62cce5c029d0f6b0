package train

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseProgressMode(t *testing.T) {
	for _, c := range []struct {
		s        string
		terminal bool
		want     ProgressMode
	}{
		{"auto", true, ProgressBar},
		{"auto", false, ProgressPlain},
		{"", false, ProgressPlain},
		{"bar", false, ProgressBar},
		{"plain", true, ProgressPlain},
		{"none", true, ProgressNone},
	} {
		got, err := ParseProgressMode(c.s, c.terminal)
		if err != nil || got != c.want {
			t.Errorf("ParseProgressMode(%q, %v) = %v, %v, want %v", c.s, c.terminal, got, err, c.want)
		}
	}
	if _, err := ParseProgressMode("bars", true); err == nil || !strings.Contains(err.Error(), "auto, bar, plain, none") {
		t.Errorf("ParseProgressMode(bars): got %v, want an error listing the modes", err)
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "p")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is a terminal")
	}
}

// fakeClock advances by step at every reading.
func fakeClock(step time.Duration) func() time.Time {
	now := time.Unix(0, 0)
	return func() time.Time { now = now.Add(step); return now }
}

func TestPlainProgress(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, ProgressPlain)
	p.now = fakeClock(time.Second) // one second per step
	task := p.Start(TaskSpec{N: 100, Desc: "epoch 1/1", Keep: true})
	for i := range 100 {
		task.Describe(fmt.Sprintf("epoch 1/1 batch %d", i+1))
		task.Add(1)
	}
	task.Finish()
	task.Close() // after Finish: nothing
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// 100 s of work: a line at 10 s, 20 s, ..., 90 s, and the final one.
	if len(lines) != 10 {
		t.Fatalf("got %d lines, want 10:\n%s", len(lines), b.String())
	}
	if strings.Contains(b.String(), "\r") {
		t.Error("plain progress holds a carriage return")
	}
	if got, want := lines[0], "epoch 1/1 batch 10: 10/100 (10%), 10s, ETA 1m30s"; got != want {
		t.Errorf("first line %q, want %q", got, want)
	}
	if !strings.HasSuffix(lines[9], ": 100/100 (100%), 1m41s, done") {
		t.Errorf("last line %q, want the task done", lines[9])
	}

	b.Reset()
	stopped := p.Start(TaskSpec{N: 10, Done: 4, Desc: "simulate", Unit: "img"})
	stopped.Add(2)
	stopped.Close()
	if got := b.String(); !strings.HasPrefix(got, "simulate: 6/10 (60%)") || !strings.HasSuffix(got, "img/s, stopped\n") {
		t.Errorf("stopped task wrote %q, want its state and 'stopped'", got)
	}
}

// TestPlainQuietParts checks what plain mode leaves out: a short pass
// inside a stage (not kept) writes nothing, a long one its periodic lines
// and its end; stage status lines come at most one per interval, and the
// final one always.
func TestPlainQuietParts(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, ProgressPlain)
	p.now = fakeClock(time.Second)
	short := p.Start(TaskSpec{N: 3, Desc: "evaluate 4 candidates"})
	short.Add(3)
	short.Finish()
	if b.Len() != 0 {
		t.Errorf("a 3 s pass wrote %q, want nothing", b.String())
	}
	long := p.Start(TaskSpec{N: 30, Desc: "eval"})
	for range 30 {
		long.Add(1)
	}
	long.Finish()
	if got := strings.Count(b.String(), "\n"); got != 3 || !strings.Contains(b.String(), "eval: 30/30 (100%), 31s, done") {
		t.Errorf("a 30 s pass wrote %d lines, want lines at 10 s and 20 s and its end:\n%s", got, b.String())
	}
	b.Reset()
	for done := 1; done <= 40; done++ { // a round per second
		p.Status(done == 40, "lambda 0: %d/40 evaluated", done)
	}
	if got, want := b.String(), "lambda 0: 1/40 evaluated\nlambda 0: 11/40 evaluated\nlambda 0: 21/40 evaluated\nlambda 0: 31/40 evaluated\nlambda 0: 40/40 evaluated\n"; got != want {
		t.Errorf("status lines:\n%s\nwant:\n%s", got, want)
	}
	var bar bytes.Buffer
	pb := NewProgress(&bar, ProgressBar)
	for done := 1; done <= 3; done++ {
		pb.Status(false, "round %d", done)
	}
	if got := strings.Count(bar.String(), "\n"); got != 3 {
		t.Errorf("status on a terminal: %d lines, want every one of 3", got)
	}
}

func TestBarProgress(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, ProgressBar)
	task := p.Start(TaskSpec{N: 5, Desc: "epoch 1/2", Keep: true})
	task.Add(2)
	task.Close() // stopped: the bar's line is ended
	out := b.String()
	if !strings.Contains(out, "\r") || !strings.HasSuffix(out, "\n") {
		t.Errorf("stopped bar wrote %q, want carriage-return redraws ended by a newline", out)
	}
	p.Printf("lambda %g: %d/%d evaluated", 0.5, 1, 2)
	if !strings.HasSuffix(b.String(), "\nlambda 0.5: 1/2 evaluated\n") {
		t.Errorf("Printf after the bar: %q", b.String())
	}
}

func TestNoProgress(t *testing.T) {
	var p *Progress
	if NewProgress(&bytes.Buffer{}, ProgressNone) != nil || NewProgress(nil, ProgressBar) != nil {
		t.Error("NewProgress of nothing to show is not nil")
	}
	task := p.Start(TaskSpec{N: 3, Desc: "x"})
	task.Describe("y")
	task.Add(1)
	task.Finish()
	task.Close()
	p.Printf("nothing")
	if p.Mode() != ProgressNone {
		t.Errorf("nil progress mode %v", p.Mode())
	}
}
