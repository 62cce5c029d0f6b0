package pipeline

import (
	"testing"
	"time"

	"github.com/autosnn/autosnn/frontend"
)

// TestTrainTime: the estimate reproduces the runs it was fitted to within
// 25% (autosnn on MNIST, 960 images, C=4, 8, 16: 3.7, 6.4, 14.6 CPU-s,
// two workers), halves with twice the workers, counts evaluation images
// at a fifth, and the super-network's grows with the images.
func TestTrainTime(t *testing.T) {
	e, _ := frontend.LookupZoo("autosnn")
	for _, c := range []struct {
		C   int
		cpu float64
	}{{4, 3.7}, {8, 6.4}, {16, 14.6}} {
		s := e.Spec
		s.Channels, s.Input, s.Classes = c.C, []int{1, 28, 28}, 10
		g, err := frontend.Lower(s)
		if err != nil {
			t.Fatal(err)
		}
		d := TrainTime(g, 960, 0, 2)
		if r := d.Seconds() / (c.cpu / 2); r < 0.75 || r > 1.25 {
			t.Errorf("C=%d: estimate %v, measured %.1f s of two workers (%.2fx)", c.C, d, c.cpu/2, r)
		}
		if one, ev := TrainTime(g, 960, 0, 1), TrainTime(g, 960, 4800, 2); (one-2*d).Abs() > 2 || (ev-2*d).Abs() > 2 {
			t.Errorf("C=%d: one worker %v, with 4,800 evaluation images %v; want both twice %v", c.C, one, ev, d)
		}
	}
	space := tinySpace(t)
	a, errA := SupernetTime(space, 1000, 2)
	b, errB := SupernetTime(space, 2000, 2)
	if errA != nil || errB != nil || !(a > 0) || (b-2*a).Abs() > 2 {
		t.Errorf("SupernetTime: %v (%v), %v (%v); want a positive time doubling with the images", a, errA, b, errB)
	}
	for d, want := range map[time.Duration]string{30 * time.Second: "30 s", 90 * time.Minute: "90 min", 5 * time.Hour: "5.0 h", 200 * time.Hour: "8 days"} {
		if got := FormatEstimate(d); got != want {
			t.Errorf("FormatEstimate(%v) = %q, want %q", d, got, want)
		}
	}
}
