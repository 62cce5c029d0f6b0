package ir

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tiny builds a small network with every op: conv+BN, residual, max-pool,
// avg-pool, dense head with voting.
func tiny(t *testing.T) *Graph {
	t.Helper()
	b := NewBuilder("tiny", Header{T: 4, Classes: 2, Vote: 2})
	x := b.Input("x", Shape{C: 1, H: 8, W: 8})
	s := b.Layer("stem", DefaultPLIF(), Role{Kind: RoleStem}, ConvBN(x, 4, 3, 1))
	l1 := b.Layer("b1.l1", DefaultPLIF(), Role{Kind: RoleBlock, Block: 1, Layer: 1, Choice: "SRB_k3"}, ConvBN(s, 4, 3, 1))
	l2 := b.Layer("b1.l2", DefaultPLIF(), Role{Kind: RoleBlock, Block: 1, Layer: 2, Choice: "SRB_k3"}, ConvBN(l1, 4, 3, 1), Skip(s))
	p := b.Layer("pool1", Neuron{Model: Relay}, Role{Kind: RolePool, Block: 1}, Pool(MaxPool, l2, 2))
	a := b.Layer("avg", Neuron{Model: LIF, Tau: 2, Threshold: 1}, Role{Kind: RoleGAP}, Pool(AvgPool, p, 2))
	b.Layer("fc", DefaultPLIF(), Role{Kind: RoleHead}, Full(a, 4))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// randomize gives every array of g seeded random values.
func randomize(g *Graph, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int, lo, hi float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = lo + (hi-lo)*r.Float32()
		}
		return v
	}
	for _, e := range g.Projs {
		if e.Op.HasWeights() {
			e.Weights = fill(e.WeightLen(), -0.6, 0.8)
		}
		if e.BN != nil {
			c := e.Dst.Shape.C
			e.BN.Gamma, e.BN.Beta, e.BN.Mean, e.BN.Var = fill(c, 0.5, 1.5), fill(c, -0.2, 0.4), fill(c, -0.1, 0.1), fill(c, 0.5, 2)
		}
	}
	for _, p := range g.Pops {
		if p.Neuron.Model == PLIF {
			p.Neuron.W = r.Float32() - 0.5
		}
	}
}

func TestRoundTrip(t *testing.T) {
	g := tiny(t)
	for _, trained := range []bool{false, true} {
		if trained {
			randomize(g, 7)
			g.Pops[1].Bias = []float32{0.1, -0.2, 0.3, 1e-9}
			g.Pops[2].Rates = make([]float32, g.Pops[2].Shape.Len())
			g.Pops[2].Rates[5] = 0.125
			g.Pops[2].Q = &PopQuant{Scale: 37.5, Threshold: 38, Decay: 2048, DecayBits: 12, VMin: -1 << 15, VMax: 1<<15 - 1, Bias: []int32{-1, 0, 7, -(1 << 30)}}
			g.Pops[2].Core = make([]int32, g.Pops[2].Shape.Len())
			g.Pops[2].Core[3] = -2147483648
			g.Proj("stem.conv2d").Q = &ProjQuant{Host: true}
			g.Proj("b1.l1.conv2d").Q = &ProjQuant{Weights: make([]int32, 144)}
			g.Proj("b1.l1.conv2d").Q.Weights[0] = -127
			g.Proj("b1.l2.identity").Delay = 3
			g.Proj("b1.l2.conv2d").Delay = 1
		}
		doc, blob, err := Encode(g)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(doc, blob)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, doc)
		}
		if diff := cmp.Diff(g, got); diff != "" {
			t.Errorf("trained=%v: round trip changed the graph (-want +got):\n%s", trained, diff)
		}
		doc2, blob2, _ := Encode(got)
		if string(doc) != string(doc2) || string(blob) != string(blob2) {
			t.Errorf("trained=%v: encoding is not deterministic", trained)
		}
	}
}

func TestWriteReadDir(t *testing.T) {
	g := tiny(t)
	randomize(g, 3)
	dir := t.TempDir()
	if err := WriteDir(dir, g); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	g := tiny(t)
	randomize(g, 1)
	doc, blob, _ := Encode(g)
	corrupt := append([]byte(nil), blob...)
	corrupt[10] ^= 1
	tests := []struct {
		name      string
		doc, blob string
		want      string
	}{
		{"version", strings.Replace(string(doc), "autosnn_ir: 1", "autosnn_ir: 9", 1), string(blob), "format version"},
		{"unknown field", string(doc) + "colour: red\n", string(blob), "field colour not found"},
		{"short blob", string(doc), string(blob[:8]), "weights blob has 8 bytes"},
		{"corrupt blob", string(doc), string(corrupt), "crc32"},
		{"bad op", strings.Replace(string(doc), "op: maxpool", "op: minpool", 1), string(blob), `unknown projection op "minpool"`},
		{"bad model", strings.Replace(string(doc), "model: lif", "model: hh", 1), string(blob), `unknown neuron model "hh"`},
		{"dangling", strings.Replace(string(doc), "from: b1.l1", "from: nowhere", 1), string(blob), `from "nowhere"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.doc), []byte(tt.blob))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestVerifyErrors(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(g *Graph)
		want   []string
	}{
		{"shape mismatch", func(g *Graph) { g.Pop("b1.l1").Shape.H = 7 },
			[]string{"projection b1.l1.conv2d (conv2d stem[4 8 8] -> b1.l1): produces [4 8 8], want [4 7 8]"}},
		{"bad kernel", func(g *Graph) { g.Proj("b1.l1.conv2d").Kernel = 0 },
			[]string{"projection b1.l1.conv2d (conv2d stem -> b1.l1): kernel 0, stride 1, pad 1: want kernel >= 1, stride >= 1, pad >= 0"}},
		{"weights length", func(g *Graph) { g.Proj("fc.dense").Weights = make([]float32, 3) },
			[]string{"projection fc.dense: 3 weights, want 64"}},
		{"bn partial", func(g *Graph) { g.Proj("stem.conv2d").BN.Gamma = make([]float32, 4) },
			[]string{"projection stem.conv2d: batch-norm has 1 of 4 parameter vectors, want all or none"}},
		{"backwards", func(g *Graph) { g.Proj("b1.l2.identity").Src = g.Pop("fc") },
			[]string{"goes backwards"}},
		{"output size", func(g *Graph) { g.Classes = 3 },
			[]string{"output population fc has 4 neurons, want classes 3 x vote 2 = 6"}},
		{"threshold", func(g *Graph) { g.Pop("b1.l1").Neuron.Threshold = 0 },
			[]string{"population b1.l1: threshold 0 <= reset 0, want threshold > reset"}},
		{"several at once", func(g *Graph) { g.T = 0; g.Pop("avg").Neuron.Tau = 0.5 },
			[]string{"timesteps T = 0, want >= 1", "population avg: LIF tau 0.5, want >= 1"}},
		{"duplicate name", func(g *Graph) { g.Pop("avg").Name = "stem" },
			[]string{"population stem: name used twice"}},
		{"negative delay", func(g *Graph) { g.Proj("b1.l2.identity").Delay = -1 },
			[]string{"projection b1.l2.identity: delay -1 steps, want 1..65536 (0 reads as 1)"}},
		{"delayed host projection", func(g *Graph) { g.Proj("stem.conv2d").Delay = 2 },
			[]string{"projection stem.conv2d: delay 2 steps on a host projection, want 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tiny(t)
			tt.break_(g)
			err := Verify(g)
			if err == nil {
				t.Fatalf("Verify accepted a broken graph:\n%v", g)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestCounts(t *testing.T) {
	g := tiny(t)
	got := Count(g)
	// Independently: stem conv 1*4*9 + bn 8 + w 1; b1.l1 4*4*9 + 8 + 1;
	// b1.l2 144 + 8 + 1; avg [4 2 2] is LIF (no parameter); fc 16*4 + w 1.
	want := Counts{
		Params:       (36 + 8 + 1) + (144 + 8 + 1) + (144 + 8 + 1) + (64 + 1),
		Neurons:      3*4*64 + 16 + 4,
		RelayNeurons: 4 * 16,
		// 3x3 conv on 8x8 with pad 1: valid taps per axis = 8*3-2 = 22.
		Synapses:      22*22*(1*4) + 22*22*16*2 + 4*64 + 4*64 /*maxpool*/ + 16*4 /*avgpool*/ + 16*4,
		UniqueWeights: 36 + 144 + 144 + 64,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// TestExecutorByHand checks the executor against a network small enough to
// compute on paper: 2 inputs -> dense -> 1 IF neuron, T=3.
func TestExecutorByHand(t *testing.T) {
	b := NewBuilder("hand", Header{T: 3, Classes: 1, Vote: 1, Encoding: Frames})
	x := b.Input("x", Shape{C: 2, H: 1, W: 1})
	b.Layer("y", Neuron{Model: IF, Threshold: 1}, Role{Kind: RoleHead}, Full(x, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Projs[0].Weights = []float32{0.5, 0.25}
	ex, err := NewExecutor(g)
	if err != nil {
		t.Fatal(err)
	}
	// t0: 0.5 -> V 0.5; t1: +0.75 -> 1.25 fires, V 0; t2: +0.25 -> 0.25.
	var raster []float32
	res, err := ex.Run([]float32{1, 0, 1, 1, 0, 1}, func(t, p int, out []float32) {
		if p == 1 {
			raster = append(raster, out[0])
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{0, 1, 0}, raster); diff != "" {
		t.Errorf("raster (-want +got):\n%s", diff)
	}
	if res.Spikes[1] != 1 || res.Counter[0] != 1 {
		t.Errorf("got spikes %v counter %v, want 1 spike and counter 1", res.Spikes, res.Counter)
	}
}

// TestExecutorPLIF checks the PLIF charge, equality firing and the paper
// metric (pooled spikes counted again).
func TestExecutorPLIF(t *testing.T) {
	b := NewBuilder("plif", Header{T: 2, Classes: 1, Vote: 1})
	x := b.Input("x", Shape{C: 1, H: 2, W: 2})
	s := b.Layer("s", DefaultPLIF(), Role{Kind: RoleStem}, Edge{Src: x, Op: Conv2D, Out: 1, Kernel: 1, Stride: 1})
	p := b.Layer("p", Neuron{Model: Relay}, Role{Kind: RolePool}, Pool(MaxPool, s, 2))
	b.Layer("y", DefaultPLIF(), Role{Kind: RoleHead}, Full(p, 1))
	g, err := b.Graph()
	if err != nil {
		t.Fatal(err)
	}
	g.Proj("s.conv2d").Weights = []float32{1}
	g.Proj("y.dense").Weights = []float32{4}
	ex, _ := NewExecutor(g)
	// k = 0.5: input 2 -> H = 1 fires at t0 (equality) and t1; input 1 ->
	// H = 0.5, then 0.75: never; 0 never. Pool sees 1 each step, y gets 4
	// -> H = 2 fires each step.
	res, err := ex.Run([]float32{2, 1, 0, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{0, 4, 2, 2}, res.Spikes); diff != "" {
		t.Errorf("spikes (-want +got):\n%s", diff)
	}
	paper, neuron := SpikeMetrics(g, res.Spikes)
	if paper != 8 || neuron != 6 {
		t.Errorf("got paper %d neuron %d, want 8 and 6", paper, neuron)
	}
}

func TestExecutorDeterministic(t *testing.T) {
	g := tiny(t)
	randomize(g, 5)
	in := make([]float32, 64)
	for i := range in {
		in[i] = float32(i%7) / 3
	}
	var first Result
	for i := 0; i < 2; i++ {
		ex, err := NewExecutor(g)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.Run(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = res
			if total, _ := SpikeMetrics(g, res.Spikes); total == 0 {
				t.Fatalf("network is silent, test proves nothing: %v", res.Spikes)
			}
		} else if diff := cmp.Diff(first, res); diff != "" {
			t.Errorf("second run differs:\n%s", diff)
		}
	}
}

func TestWriteFileAtomicMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.yaml")
	if err := WriteFileAtomic(path, []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
}
