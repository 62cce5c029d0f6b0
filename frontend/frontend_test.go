package frontend

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/autosnn/autosnn/ir"
)

// convP is the parameter count of conv(k)+BN+PLIF computed by hand.
func convP(cin, cout, k int) int { return cin*cout*k*k + 2*cout + 1 }

func TestCountsIndependent(t *testing.T) {
	tests := []struct {
		name           string
		params, neuron int
	}{
		// The paper's sanity figure.
		{"autosnn", 417626, 16*32*32 + 2*16*32*32 + 2*32*16*16 + 2*2*64*8*8 + 100},
		{"snn1-scb3",
			convP(3, 16, 3) + 2*convP(16, 16, 3) + convP(16, 32, 3) + 3*convP(32, 32, 3) + convP(32, 64, 3) + 3*convP(64, 64, 3) + 64*16*100 + 1,
			16*1024*3 + 32*256*4 + 64*64*4 + 100},
		{"snn2-scb3", // GAP + PLIF: FC from 64 instead of 64*16
			convP(3, 16, 3) + 2*convP(16, 16, 3) + convP(16, 32, 3) + 3*convP(32, 32, 3) + convP(32, 64, 3) + 3*convP(64, 64, 3) + 1 + 64*100 + 1,
			16*1024*3 + 32*256*4 + 64*64*4 + 64 + 100},
		{"cifarnet-wu", // 128 channels; FC from 512*8*8
			convP(3, 128, 3) + convP(128, 256, 3) + 1 + convP(256, 512, 3) + 1 + convP(512, 1024, 3) + convP(1024, 512, 3) +
				(512*64*1024 + 1) + (1024*512 + 1) + (512*100 + 1),
			128*1024 + 256*1024 + 256*256 + 512*256 + 512*64 + 1024*64 + 512*64 + 1024 + 512 + 100},
		{"resnet11-lee", // stem 64, avgpool, SRB_k3 128/256(s2)/512/512(s2), FC 8192 -> 1024 -> 100
			convP(3, 64, 3) + 1 +
				(convP(64, 128, 3) + convP(128, 128, 3) + 64*128 + 2*128) +
				(convP(128, 256, 3) + convP(256, 256, 3) + 128*256 + 2*256) +
				(convP(256, 512, 3) + convP(512, 512, 3) + 256*512 + 2*512) +
				(convP(512, 512, 3) + convP(512, 512, 3) + 512*512 + 2*512) +
				(512*16*1024 + 1) + (1024*100 + 1),
			64*1024 + 64*256 + 2*128*256 + 2*256*64 + 2*512*64 + 2*512*16 + 1024 + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := LookupZoo(tt.name)
			if !ok {
				t.Fatalf("no zoo entry %s", tt.name)
			}
			g, err := Lower(e.Spec)
			if err != nil {
				t.Fatal(err)
			}
			c := ir.Count(g)
			if c.Params != tt.params || c.Neurons != tt.neuron {
				t.Errorf("got %d params, %d neurons; want %d, %d\n%v", c.Params, c.Neurons, tt.params, tt.neuron, g)
			}
		})
	}
}

// TestZooRoundTrip lowers every zoo entry, serialises the graph and the spec,
// and checks both read back identically.
func TestZooRoundTrip(t *testing.T) {
	for _, e := range Zoo() {
		t.Run(e.Name, func(t *testing.T) {
			g, err := Lower(e.Spec)
			if err != nil {
				t.Fatal(err)
			}
			doc, blob, err := ir.Encode(g)
			if err != nil {
				t.Fatal(err)
			}
			back, err := ir.Decode(doc, blob)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(g, back); diff != "" {
				t.Errorf("graph round trip (-want +got):\n%s", diff)
			}
			y, err := MarshalSpec(e.Spec)
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseSpec(y, e.Name+".yaml")
			if err != nil {
				t.Fatalf("%v\n%s", err, y)
			}
			if diff := cmp.Diff(e.Spec, s); diff != "" {
				t.Errorf("spec round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryBlockAndMacro(t *testing.T) {
	for _, macro := range []string{"snn1", "snn2", "snn3", "snn4", "snn1-8"} {
		n, _ := MacroBlocks(macro)
		for _, b := range Blocks() {
			s := DefaultSpec()
			s.Macro = macro
			for i := 0; i < n; i++ {
				s.Blocks = append(s.Blocks, b)
			}
			if _, err := Lower(s); err != nil {
				t.Errorf("%s with %s: %v", macro, b, err)
			}
		}
	}
}

func TestInputSizes(t *testing.T) {
	tests := []struct {
		input   []int
		enc     ir.Encoding
		stemPop int // populations named stem*
		fcIn    int
	}{
		{[]int{1, 28, 28}, ir.Direct, 1, 64 * 3 * 3}, // MNIST: 28 -> 14 -> 7 -> 3
		{[]int{3, 32, 32}, ir.Direct, 1, 64 * 16},
		{[]int{3, 64, 64}, ir.Direct, 3, 64 * 16},   // stem, pool, conv
		{[]int{2, 128, 128}, ir.Frames, 4, 64 * 16}, // stem, pool, conv, pool
	}
	for _, tt := range tests {
		s := DefaultSpec("SRB_k5", "SRB_k5", "skip", "SRB_k3", "SRB_k5")
		s.Input = tt.input
		g, err := Lower(s)
		if err != nil {
			t.Fatalf("input %v: %v", tt.input, err)
		}
		stem := 0
		for _, p := range g.Pops {
			if strings.HasPrefix(p.Name, "stem") {
				stem++
			}
		}
		fc := g.Proj("fc.dense")
		if g.Encoding != tt.enc || stem != tt.stemPop || fc.Src.Shape.Len() != tt.fcIn {
			t.Errorf("input %v: encoding %v, %d stem populations, FC fan-in %d; want %v, %d, %d\n%v",
				tt.input, g.Encoding, stem, fc.Src.Shape.Len(), tt.enc, tt.stemPop, tt.fcIn, g)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown block", "macro: snn1\nblocks:\n  - SRB_k5\n  - SRB_k7\n  - skip\n  - skip\n  - skip\n",
			`arch.yaml:4: block 2: unknown block "SRB_k7", want one of`},
		{"wrong count", "macro: snn1\nblocks: [skip, skip]\n", "arch.yaml:2: 2 blocks, want 5 for macro snn1"},
		{"unknown macro", "name: x\nmacro: snn9\n", `arch.yaml:2: unknown macro "snn9"`},
		{"unknown field", "macro: snn1\ncolour: red\n", "arch.yaml:2: unknown key colour"},
		{"bad channels", "channels: 0\nblocks: [skip, skip, skip, skip, skip]\n", "arch.yaml:1: channels 0, want >= 1"},
		{"fixed with blocks", "macro: resnet19-zheng\nblocks: [skip]\n", "arch.yaml:2: macro resnet19-zheng is a fixed architecture"},
		{"bad type", "channels: many\n", `arch.yaml:1: channels: "many" is not an integer`},
		{"misspelt key", "name: x\nchanels: 4\n", "arch.yaml:2: unknown key chanels; did you mean channels?"},
		{"unclosed list", "name: x\nmacro: snn1\nblocks: [SRB_k3, skip\ntimesteps: 2\n", "arch.yaml:3: the flow list opened here is not closed (want ])"},
		{"bad input", "input: [3, 32]\nblocks: [skip, skip, skip, skip, skip]\n", "arch.yaml:1: input [3 32], want [C, H, W]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(tt.yaml), "arch.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestImpossibleShape(t *testing.T) {
	s := DefaultSpec("skip", "skip", "skip", "skip", "skip")
	s.Input = []int{3, 4, 4} // 4 -> 2 -> 1 -> third max-pool has nothing to pool
	_, err := Lower(s)
	if err == nil || !strings.Contains(err.Error(), "pool3") {
		t.Errorf("got %v, want an error naming pool3", err)
	}
}

func TestResolve(t *testing.T) {
	s, err := Resolve("SRB_k5, SRB_k5,skip,SRB_k3,SRB_k5")
	if err != nil {
		t.Fatal(err)
	}
	z, _ := LookupZoo("autosnn")
	if diff := cmp.Diff(z.Spec.Blocks, s.Blocks); diff != "" {
		t.Errorf("compact form (-want +got):\n%s", diff)
	}
	if _, err := Resolve("SRB_k5,skip"); err == nil || !strings.Contains(err.Error(), "2 blocks, want 5") {
		t.Errorf("got %v, want a block count error", err)
	}
	if _, err := Resolve("no-such-net"); err == nil || !strings.Contains(err.Error(), "not a zoo entry") {
		t.Errorf("got %v, want a not-found error", err)
	}
}

func TestANNMode(t *testing.T) {
	s := DefaultSpec("SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3", "SCB_k3")
	s.Neuron = "ann"
	g, err := Lower(s)
	if err != nil {
		t.Fatal(err)
	}
	if g.T != 1 || g.Vote != 1 || g.Loss != ir.CrossEntropy || g.Output().Shape.Len() != 10 || g.Pop("stem").Neuron.Model != ir.ReLU {
		t.Errorf("ANN mode graph wrong:\n%v", g)
	}
}
