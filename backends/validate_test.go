package backends

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func tinyProfile(t *testing.T) *Profile {
	t.Helper()
	src, err := BuiltinSource("tiny")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(src, "builtin:tiny")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validationCases mutate a valid profile; want lists the problems Validate
// must report, as "field: message fragment".
var validationCases = []struct {
	name   string
	mutate func(p *Profile)
	want   []wantProblem
}{
	{"negative neurons", func(p *Profile) { p.Core.MaxNeurons = -1 },
		[]wantProblem{{"core.max_neurons", "got -1, want > 0"}}},
	{"zero tiles", func(p *Profile) { p.Mesh.TilesX = 0 },
		[]wantProblem{{"mesh.tiles_x", "got 0, want > 0"}}},
	{"mesh too large", func(p *Profile) { p.Mesh.TilesX = 4096; p.Mesh.TilesY = 4096; p.Mesh.CoresPerTile = 4096 },
		[]wantProblem{{"mesh", "got 68719476736 cores in total, want <= 16777216"}}},
	{"mesh dimension too large", func(p *Profile) { p.Mesh.ChipsX = 1 << 40 },
		[]wantProblem{{"mesh.chips_x", "want <= 4096"}, {"mesh", "cores in total"}, {"noc.inter_chip_hop_latency_ns", "want > 0"}, {"energy.inter_chip_hop_pj", "want > 0"}}},
	{"negative chips", func(p *Profile) { p.Mesh.ChipsY = -2 },
		[]wantProblem{{"mesh.chips_y", "got -2, want >= 0"}}},
	{"negative memory", func(p *Profile) { p.Core.SynapticMemoryBytes = -4096 },
		[]wantProblem{{"core.synaptic_memory_bytes", "got -4096, want > 0"}}},
	{"negative fan-in", func(p *Profile) { p.Core.MaxFanInAxons = -5 },
		[]wantProblem{{"core.max_fan_in_axons", "got -5, want >= 0"}}},
	{"negative delay", func(p *Profile) { p.Core.MaxSynapticDelaySteps = -1 },
		[]wantProblem{{"core.max_synaptic_delay_steps", "got -1, want >= 0"}}},
	{"delay beyond the IR's range", func(p *Profile) { p.Core.MaxSynapticDelaySteps = 1 << 20 },
		[]wantProblem{{"core.max_synaptic_delay_steps", "got 1048576, want <= 65536"}}},
	{"missing energy table", func(p *Profile) { p.Energy = Energy{} },
		[]wantProblem{{"energy", "missing energy table"}}},
	{"zero synop energy", func(p *Profile) { p.Energy.SynOpPJ = 0 },
		[]wantProblem{{"energy.syn_op_pj", "got 0, want > 0"}}},
	{"negative hop energy", func(p *Profile) { p.Energy.HopNSPJ = -3 },
		[]wantProblem{{"energy.hop_ns_pj", "got -3, want >= 0"}}},
	{"estimate without notes", func(p *Profile) { p.Energy.Basis = BasisPreSilicon; p.Energy.Notes = "" },
		[]wantProblem{{"energy.notes", "missing"}}},
	{"unknown basis", func(p *Profile) { p.Energy.Basis = "guess" },
		[]wantProblem{{"energy.basis", `got "guess", want one of`}}},
	{"unknown routing", func(p *Profile) { p.NoC.Routing = "west-first" },
		[]wantProblem{{"noc.routing", `got "west-first", want one of xy, yx`}}},
	{"missing routing", func(p *Profile) { p.NoC.Routing = "" },
		[]wantProblem{{"noc.routing", "missing, want one of xy, yx"}}},
	{"unknown overflow", func(p *Profile) { p.NoC.OverflowPolicy = "retry" },
		[]wantProblem{{"noc.overflow_policy", `got "retry"`}}},
	{"negative drop wait", func(p *Profile) { p.NoC.OverflowPolicy = OverflowDrop; p.NoC.DropWaitNs = -5 },
		[]wantProblem{{"noc.drop_wait_ns", "got -5, want a finite value >= 0"}}},
	{"NaN drop wait", func(p *Profile) { p.NoC.OverflowPolicy = OverflowDrop; p.NoC.DropWaitNs = nan() },
		[]wantProblem{{"noc.drop_wait_ns", "got NaN, want a finite value >= 0"}}},
	{"infinite drop wait", func(p *Profile) { p.NoC.OverflowPolicy = OverflowDrop; p.NoC.DropWaitNs = inf() },
		[]wantProblem{{"noc.drop_wait_ns", "got +Inf, want a finite value >= 0"}}},
	{"drop wait without drop policy", func(p *Profile) { p.NoC.OverflowPolicy = OverflowBackpressure; p.NoC.DropWaitNs = 100 },
		[]wantProblem{{"noc.drop_wait_ns", `got 100 with overflow_policy "backpressure", want 0`}}},
	{"packet smaller than flit", func(p *Profile) { p.NoC.PacketBits = 16 },
		[]wantProblem{{"noc.packet_bits", "got 16, want >= flit_bits (32)"}}},
	{"zero bandwidth", func(p *Profile) { p.NoC.LinkBandwidthGMsgPerS = 0 },
		[]wantProblem{{"noc.link_bandwidth_gmsg_per_s", "got 0, want > 0"}}},
	{"multi-chip without inter-chip costs", func(p *Profile) { p.Mesh.ChipsX = 2 },
		[]wantProblem{{"noc.inter_chip_hop_latency_ns", "got 0, want > 0"}, {"energy.inter_chip_hop_pj", "got 0, want > 0"}}},
	{"negative inter-chip bandwidth", func(p *Profile) { p.NoC.InterChipLinkBandwidthGMsgPerS = -1 },
		[]wantProblem{{"noc.inter_chip_link_bandwidth_gmsg_per_s", "got -1, want >= 0"}}},
	{"infinite inter-chip bandwidth", func(p *Profile) { p.NoC.InterChipLinkBandwidthGMsgPerS = math.Inf(1) },
		[]wantProblem{{"noc.inter_chip_link_bandwidth_gmsg_per_s", "want a finite value"}}},
	{"bad compare", func(p *Profile) { p.Precision.ThresholdCompare = "=>" },
		[]wantProblem{{"precision.threshold_compare", `got "=>"`}}},
	{"unknown neuron model", func(p *Profile) { p.Core.NeuronModels = []string{"lif", "hodgkin_huxley"} },
		[]wantProblem{{"core.neuron_models[1]", `got "hodgkin_huxley"`}}},
	{"no neuron models", func(p *Profile) { p.Core.NeuronModels = nil },
		[]wantProblem{{"core.neuron_models", "missing"}}},
	{"barrier without table", func(p *Profile) { p.Sync.BarrierNs = nil },
		[]wantProblem{{"sync.barrier_ns", "missing"}}},
	{"barrier table not increasing", func(p *Profile) { p.Sync.BarrierNs = []SyncPoint{{4, 10}, {2, 20}} },
		[]wantProblem{{"sync.barrier_ns[1].tiles", "got 2 after 4, want strictly increasing"}}},
	{"fixed tick without tick", func(p *Profile) { p.Sync.Mode = SyncFixedTick },
		[]wantProblem{{"sync.tick_ns", "got 0, want > 0"}}},
	{"unknown sync mode", func(p *Profile) { p.Sync.Mode = "lockstep" },
		[]wantProblem{{"sync.mode", `got "lockstep"`}}},
	{"bad name and version", func(p *Profile) { p.Name = "My Chip"; p.Version = 2 },
		[]wantProblem{{"version", "got 2, want 1"}, {"name", `got "My Chip"`}}},
	{"layer cores of wrong length", func(p *Profile) {
		p.LayerCores = &LayerCores{KernelMemoryEntries: []int{1, 2}, NeuronMemoryEntries: []int{64, 64, 64, 64, 64, 64, 64, 64},
			MaxDestinationLayers: 2, MaxInputHeight: 1, MaxInputWidth: 1, MaxOutputHeight: 1, MaxOutputWidth: 1, MaxChannels: 1, MaxKernelSize: 1}
	}, []wantProblem{{"layer_cores.kernel_memory_entries", "got 2 entries, want one per core (8)"}}},
	{"active cheaper than inactive", func(p *Profile) { p.Energy.NeuronUpdateActivePJ = 1 },
		[]wantProblem{{"energy.neuron_update_active_pj", "got 1, want >= neuron_update_inactive_pj (2)"}}},
	{"NaN energy", func(p *Profile) { p.Energy.SpikeOutPJ = nan() },
		[]wantProblem{{"energy.spike_out_pj", "got NaN, want >= 0"}}},
}

func nan() float64 { var z float64; return z / z }

func inf() float64 { var z float64; return 1 / z }

// TestValidateDropWait: a drop wait is valid under the drop policy.
func TestValidateDropWait(t *testing.T) {
	for _, w := range []float64{0, 0.5, 1280} {
		p := tinyProfile(t)
		p.NoC.OverflowPolicy, p.NoC.DropWaitNs = OverflowDrop, w
		if err := p.Validate("chips/mine.yaml"); err != nil {
			t.Errorf("drop_wait_ns %g under overflow_policy drop: Validate() = %v, want nil", w, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			p := tinyProfile(t)
			tc.mutate(p)
			err := p.Validate("chips/mine.yaml")
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate() = %v, want a *ProfileError", err)
			}
			if pe.File != "chips/mine.yaml" {
				t.Errorf("File = %q, want chips/mine.yaml", pe.File)
			}
			if len(pe.Problems) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d %v", len(pe.Problems), pe.Problems, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				g := pe.Problems[i]
				if g.Field != w.Field || !strings.Contains(g.Msg, w.Msg) {
					t.Errorf("problem %d = %s: %s, want %s: ...%s...", i, g.Field, g.Msg, w.Field, w.Msg)
				}
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "backends: chips/mine.yaml: ") || !strings.Contains(msg, tc.want[0].Field) {
				t.Errorf("Error() = %q, want it to name the file and the field %s", msg, tc.want[0].Field)
			}
		})
	}
}

func TestValidateBuiltinTinyIsValid(t *testing.T) {
	if err := tinyProfile(t).Validate("tiny"); err != nil {
		t.Errorf("Validate(tiny) = %v, want nil", err)
	}
}

// parseCases are documents that fail before validation, in the YAML layer.
var parseCases = []struct {
	name, doc, want string
}{
	{"empty", "", "empty file"},
	{"unknown field", "version: 1\nname: x\nwarp_drive: true\n", "line 3: unknown key warp_drive"},
	{"wrong type", "version: 1\nname: x\nmesh:\n  tiles_x: many\n", `line 4: mesh.tiles_x: "many" is not an integer`},
	{"two documents", "version: 1\n---\nversion: 1\n", "more than one YAML document"},
	{"not a mapping", "- 1\n- 2\n", "line 1: the document is a list, want a mapping of keys"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc), "bad.yaml")
			if err == nil {
				t.Fatalf("Parse() = nil error, want one containing %q", tc.want)
			}
			if got := err.Error(); !strings.HasPrefix(got, "backends: bad.yaml: ") || !strings.Contains(got, tc.want) {
				t.Errorf("Parse() error = %q, want prefix \"backends: bad.yaml: \" and %q", got, tc.want)
			}
		})
	}
}

// TestParseReportsAllProblems checks that a file with several mistakes gets
// one error listing all of them, in schema order.
func TestParseReportsAllProblems(t *testing.T) {
	src, err := BuiltinSource("tiny")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(src), "max_neurons: 64", "max_neurons: -64", 1)
	doc = strings.Replace(doc, "routing: xy", "routing: diagonal", 1)
	_, err = Parse([]byte(doc), "two.yaml")
	var pe *ProfileError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse() = %v, want *ProfileError", err)
	}
	var fields []string
	for _, p := range pe.Problems {
		fields = append(fields, p.Field)
	}
	if diff := cmp.Diff([]string{"core.max_neurons", "noc.routing"}, fields); diff != "" {
		t.Errorf("problem fields (-want +got):\n%s", diff)
	}
}

// wantProblem is an expected problem: the field and a fragment of the
// message.
type wantProblem struct{ Field, Msg string }
