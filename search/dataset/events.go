package dataset

import "fmt"

// Event is one address event of a dynamic vision sensor.
type Event struct {
	T    int64  // timestamp in microseconds
	X, Y uint16 // pixel column and row, 0-based, within the sensor size
	P    uint8  // polarity, 0 or 1; frames put polarity p in channel p
}

// Integration selects how an event stream is cut into frames.
type Integration int

const (
	// SplitByNumber gives each of the T frames N/T events in stream order
	// (integer division); the last frame also takes the remainder. With
	// fewer events than frames, the last frame takes all.
	SplitByNumber Integration = iota
	// SplitByTime cuts [t0, tlast] into T slices of equal duration
	// dt = (tlast - t0) / T (integer microseconds), where t0 and tlast are
	// the first and last timestamps in stream order; events after
	// t0 + T*dt and any out-of-order events are clamped into the first or
	// last frame. With dt = 0 the last frame takes all events.
	SplitByTime
)

func (m Integration) String() string {
	switch m {
	case SplitByNumber:
		return "number"
	case SplitByTime:
		return "time"
	}
	return fmt.Sprintf("Integration(%d)", int(m))
}

// ParseIntegration parses "number" or "time".
func ParseIntegration(s string) (Integration, error) {
	switch s {
	case "number":
		return SplitByNumber, nil
	case "time":
		return SplitByTime, nil
	}
	return 0, fmt.Errorf("dataset: unknown frame integration %q, want number or time", s)
}

// FrameGeometry describes the frames made from a sensor's events.
type FrameGeometry struct {
	T                int         // number of frames, > 0
	Mode             Integration // how events are assigned to frames
	SensorH, SensorW int         // sensor size in pixels; events must lie inside
	H, W             int         // frame size; sensor pixels are binned: x' = x*W/SensorW
}

// Len returns the number of values of the frames of one sample, T*2*H*W.
func (g FrameGeometry) Len() int { return g.T * 2 * g.H * g.W }

func (g FrameGeometry) check() error {
	if g.T <= 0 || g.SensorH <= 0 || g.SensorW <= 0 || g.H <= 0 || g.W <= 0 || g.H > g.SensorH || g.W > g.SensorW {
		return fmt.Errorf("dataset: frame geometry T=%d sensor %dx%d frames %dx%d, want T > 0 and 0 < frame size <= sensor size", g.T, g.SensorH, g.SensorW, g.H, g.W)
	}
	if g.Mode != SplitByNumber && g.Mode != SplitByTime {
		return fmt.Errorf("dataset: invalid integration mode %d", int(g.Mode))
	}
	return nil
}

// Integrate accumulates events into frames: dst (length g.Len(), layout
// [T][2][H][W]) is zeroed and then each event adds 1 to its pixel of its
// polarity channel in its frame, saturating at 65535. Events must lie inside
// the sensor; the parsers guarantee it, and Integrate returns an error
// naming the event otherwise.
func Integrate(ev []Event, g FrameGeometry, dst []uint16) error {
	if err := g.check(); err != nil {
		return err
	}
	if len(dst) != g.Len() {
		return fmt.Errorf("dataset: frame buffer has %d values, want %d", len(dst), g.Len())
	}
	clear(dst)
	n := len(ev)
	if n == 0 {
		return nil
	}
	T := int64(g.T)
	hw := g.H * g.W
	per := int64(n) / T
	t0 := ev[0].T
	dt := (ev[n-1].T - t0) / T
	for i, e := range ev {
		if int(e.X) >= g.SensorW || int(e.Y) >= g.SensorH || e.P > 1 {
			return fmt.Errorf("dataset: event %d at (x=%d, y=%d, p=%d) lies outside the %dx%d sensor", i, e.X, e.Y, e.P, g.SensorW, g.SensorH)
		}
		var f int64
		switch g.Mode {
		case SplitByNumber:
			if per == 0 {
				f = T - 1
			} else {
				f = int64(i) / per
			}
		case SplitByTime:
			if dt == 0 {
				f = T - 1
			} else {
				f = (e.T - t0) / dt
			}
		}
		f = max(0, min(f, T-1))
		y := int(e.Y) * g.H / g.SensorH
		x := int(e.X) * g.W / g.SensorW
		k := (int(f)*2+int(e.P))*hw + y*g.W + x
		if dst[k] != 0xFFFF {
			dst[k]++
		}
	}
	return nil
}
