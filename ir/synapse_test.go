package ir

import (
	"slices"
	"testing"
)

// synapseCases are one projection of each operator (and the window corner
// cases: stride > 1, 1x1 with stride, a kernel wider than the input, a
// global pool), with the explicit synapses counted by hand.
var synapseCases = []struct {
	name                string
	op                  Op
	src, dst            Shape
	kernel, stride, pad int
	want                int64
}{
	{"conv k3 s1 p1", Conv2D, Shape{2, 5, 4}, Shape{3, 5, 4}, 3, 1, 1, (5*3 - 2) * (4*3 - 2) * 2 * 3},
	{"conv k3 s2 p1", Conv2D, Shape{2, 5, 5}, Shape{3, 3, 3}, 3, 2, 1, 7 * 7 * 2 * 3},
	{"conv k1 s2", Conv2D, Shape{2, 5, 5}, Shape{3, 3, 3}, 1, 2, 0, 3 * 3 * 2 * 3},
	{"conv k5 p2 on 3x3", Conv2D, Shape{1, 3, 3}, Shape{2, 3, 3}, 5, 1, 2, 9 * 9 * 1 * 2},
	{"dense", Dense, Shape{2, 2, 2}, Shape{5, 1, 1}, 0, 0, 0, 8 * 5},
	{"avgpool k2 s2", AvgPool, Shape{3, 4, 6}, Shape{3, 2, 3}, 2, 2, 0, 4 * 6 * 3},
	{"global avgpool", AvgPool, Shape{4, 3, 3}, Shape{4, 1, 1}, 3, 3, 0, 9 * 4},
	{"sumpool k3 s2 p1", SumPool, Shape{2, 5, 5}, Shape{2, 3, 3}, 3, 2, 1, 7 * 7 * 2},
	{"maxpool k2 s2", MaxPool, Shape{1, 4, 4}, Shape{1, 2, 2}, 2, 2, 0, 4 * 4},
	{"identity", Identity, Shape{2, 3, 3}, Shape{2, 3, 3}, 0, 0, 0, 18},
}

type synTriple struct{ src, dst, wi int }

// TestSynapseEnumeration checks, for each operator, that SynapsesFrom over
// every source neuron and SynapsesInto over every target neuron enumerate
// the same synapses, each once, as many as Synapses counts (and the hand
// count), with weight indices that name the synapse's channels.
func TestSynapseEnumeration(t *testing.T) {
	for _, tc := range synapseCases {
		t.Run(tc.name, func(t *testing.T) {
			e := &Projection{Name: tc.name, Op: tc.op, Kernel: tc.kernel, Stride: tc.stride, Pad: tc.pad,
				Src: &Population{Name: "a", Shape: tc.src}, Dst: &Population{Name: "b", Shape: tc.dst}}
			if got := Synapses(e); got != tc.want {
				t.Errorf("Synapses = %d, want %d", got, tc.want)
			}
			var from, into []synTriple
			for j := 0; j < tc.src.Len(); j++ {
				SynapsesFrom(e, j, func(dst, wi int) { from = append(from, synTriple{j, dst, wi}) })
			}
			for j := 0; j < tc.dst.Len(); j++ {
				SynapsesInto(e, j, func(src, wi int) { into = append(into, synTriple{src, j, wi}) })
			}
			if int64(len(from)) != tc.want || int64(len(into)) != tc.want {
				t.Fatalf("SynapsesFrom gives %d synapses, SynapsesInto %d, want %d", len(from), len(into), tc.want)
			}
			cmpT := func(a, b synTriple) int {
				if a.src != b.src {
					return a.src - b.src
				}
				if a.dst != b.dst {
					return a.dst - b.dst
				}
				return a.wi - b.wi
			}
			slices.SortFunc(from, cmpT)
			slices.SortFunc(into, cmpT)
			if !slices.Equal(from, into) {
				t.Fatalf("SynapsesFrom and SynapsesInto enumerate different synapses")
			}
			hw, dhw := tc.src.H*tc.src.W, tc.dst.H*tc.dst.W
			for i, s := range from {
				if i > 0 && s.src == from[i-1].src && s.dst == from[i-1].dst {
					t.Fatalf("synapse %d -> %d enumerated twice", s.src, s.dst)
				}
				switch tc.op {
				case Conv2D:
					// [Cout][Cin][K][K]: the channels must be the synapse's.
					kk := tc.kernel * tc.kernel
					if co, ci := s.wi/(tc.src.C*kk), s.wi/kk%tc.src.C; co != s.dst/dhw || ci != s.src/hw {
						t.Fatalf("synapse %d -> %d: weight %d is of channels %d <- %d, want %d <- %d", s.src, s.dst, s.wi, co, ci, s.dst/dhw, s.src/hw)
					}
				case Dense:
					if s.wi != s.dst*tc.src.Len()+s.src {
						t.Fatalf("synapse %d -> %d: weight %d, want %d", s.src, s.dst, s.wi, s.dst*tc.src.Len()+s.src)
					}
				default:
					if s.wi != 0 || s.src/hw != s.dst/dhw {
						t.Fatalf("synapse %d -> %d: weight %d across channels, want weight 0 within the channel", s.src, s.dst, s.wi)
					}
				}
			}
		})
	}
}

func TestSynapsesAllocateNothing(t *testing.T) {
	c := synapseCases[1]
	e := &Projection{Op: c.op, Kernel: c.kernel, Stride: c.stride, Pad: c.pad,
		Src: &Population{Shape: c.src}, Dst: &Population{Shape: c.dst}}
	var n int
	allocs := testing.AllocsPerRun(20, func() {
		SynapsesFrom(e, 7, func(dst, wi int) { n += dst + wi })
		SynapsesInto(e, 4, func(src, wi int) { n += src + wi })
	})
	if allocs != 0 {
		t.Errorf("SynapsesFrom and SynapsesInto allocate %g times, want 0", allocs)
	}
}

var windowSourceCases = []struct {
	o0, o1 int
	w      Window
	want   []int
}{
	{0, 1, Window{In: 8, Kernel: 3, Stride: 1, Pad: 1}, []int{0, 1}},
	{2, 4, Window{In: 8, Kernel: 3, Stride: 1, Pad: 1}, []int{1, 2, 3, 4}},
	{0, 2, Window{In: 8, Kernel: 1, Stride: 2}, []int{0, 2}}, // 1x1 stride 2 skips rows
	{3, 4, Window{In: 4, Kernel: 5, Stride: 1, Pad: 2}, []int{1, 2, 3}},
	{0, 4, Window{In: 8, Kernel: 2, Stride: 2}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
}

func TestWindowSources(t *testing.T) {
	for _, c := range windowSourceCases {
		if got := c.w.Sources(c.o0, c.o1); !slices.Equal(got, c.want) {
			t.Errorf("%+v.Sources(%d, %d) = %v, want %v", c.w, c.o0, c.o1, got, c.want)
		}
	}
}

// TestWindowOutAtInAt checks that OutAt inverts InAt on every tap.
func TestWindowOutAtInAt(t *testing.T) {
	for _, w := range []Window{{In: 5, Out: 3, Kernel: 3, Stride: 2, Pad: 1}, {In: 7, Out: 4, Kernel: 1, Stride: 2}, {In: 3, Out: 3, Kernel: 5, Stride: 1, Pad: 2}} {
		n := 0
		for o := 0; o < w.Out; o++ {
			for k := 0; k < w.Kernel; k++ {
				i, ok := w.InAt(o, k)
				if !ok {
					continue
				}
				n++
				if got, ok := w.OutAt(i, k); !ok || got != o {
					t.Errorf("%+v: InAt(%d, %d) = %d but OutAt(%d, %d) = %d, %v", w, o, k, i, i, k, got, ok)
				}
			}
		}
		if int64(n) != w.Taps(0, w.Out) {
			t.Errorf("%+v: Taps = %d, want %d", w, w.Taps(0, w.Out), n)
		}
	}
}
