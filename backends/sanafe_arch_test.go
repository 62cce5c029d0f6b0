package backends

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// sanafeLoihi holds the values of SANA-FE's own Loihi architecture
// (chips.md): our loihi1-sanafe profile must reproduce them.
var sanafeLoihi = map[string]any{
	"width": 8, "height": 4, "link_buffer_size": 16, "sync_model": "table",
	"energy_north_hop": 4.2e-12, "latency_north_hop": 6.5e-9, "energy_east_hop": 3.0e-12, "latency_east_hop": 4.1e-9,
	"energy_south_hop": 4.2e-12, "latency_south_hop": 6.5e-9, "energy_west_hop": 3.0e-12, "latency_west_hop": 4.1e-9,
	"max_neurons_supported": 1024, "energy_message_in": 0.0, "latency_message_in": 16e-9,
	"energy_access_neuron": 51.2e-12, "latency_access_neuron": 6.0e-9, "energy_update_neuron": 21.6e-12,
	"latency_update_neuron": 3.7e-9, "energy_spike_out": 69.3e-12, "latency_spike_out": 30e-9,
	"energy_message_out": 111e-12, "latency_message_out": 5.1e-9,
}

// flatten collects the first value of every scalar key in a YAML tree.
func flatten(n any, out map[string]any) {
	switch v := n.(type) {
	case map[string]any:
		for k, x := range v {
			switch x.(type) {
			case map[string]any, []any:
				flatten(x, out)
			default:
				if _, seen := out[k]; !seen {
					out[k] = x
				}
			}
		}
	case []any:
		for _, x := range v {
			flatten(x, out)
		}
	}
}

func TestSANAFEArchLoihi(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSANAFEArch(&buf, mustLookup(t, "loihi1-sanafe")); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, buf.String())
	}
	got := map[string]any{}
	flatten(doc, got)
	for k, want := range sanafeLoihi {
		if diff := cmp.Diff(want, got[k]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k, diff)
		}
	}
	arch := doc["architecture"].(map[string]any)
	sync := arch["attributes"].(map[string]any)["latency_sync"]
	if diff := cmp.Diff(map[string]any{"1": 0.6e-6, "2": 1.0e-6, "4": 1.4e-6, "29": 1.8e-6}, stringKeys(sync)); diff != "" {
		t.Errorf("latency_sync (-want +got):\n%s", diff)
	}
	out := buf.String()
	for _, want := range []string{"name: loihi1_sanafe_tile[0..31]", "name: loihi1_sanafe_core[0..3]", "name: loihi1_sanafe_inputs[0..1023]",
		"energy_process_spike: 35.5e-12", "energy_process_spike: 33.6e-12", "energy_process_spike: 24.0e-12",
		"latency_process_spike: 4.7e-9", "model: leaky_integrate_fire"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	golden(t, "loihi1-sanafe.arch.yaml", buf.Bytes())
}

func stringKeys(v any) map[string]any {
	out := map[string]any{}
	if m, ok := v.(map[any]any); ok {
		for k, x := range m {
			out[fmt.Sprint(k)] = x
		}
	}
	return out
}

func TestSANAFEArchAllSingleChip(t *testing.T) {
	for _, name := range Builtins() {
		tg := mustLookup(t, name)
		var buf bytes.Buffer
		err := WriteSANAFEArch(&buf, tg)
		if tg.NumChips > 1 {
			if err == nil || !strings.Contains(err.Error(), "want 1") {
				t.Errorf("%s: error = %v, want a one-chip error", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var doc map[string]any
		if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Errorf("%s: output is not YAML: %v", name, err)
		}
	}
}

var siCases = []struct {
	v    float64
	exp  string
	want string
}{{0, "e-12", "0.0"}, {3, "e-12", "3.0e-12"}, {72.8 - 51.2, "e-12", "21.6e-12"}, {0.42, "e-9", "0.42e-9"}, {1000000, "e-9", "1000000.0e-9"}}

func TestSI(t *testing.T) {
	for _, tc := range siCases {
		if got := si(tc.v, tc.exp); got != tc.want {
			t.Errorf("si(%g, %q) = %q, want %q", tc.v, tc.exp, got, tc.want)
		}
	}
}

// TestSANAFEArchInputs: an export with input events gets as many input
// soma units per core as its busiest core needs, and that many more
// neuron slots.
func TestSANAFEArchInputs(t *testing.T) {
	tg := mustLookup(t, "tiny")
	g := sanafeNet(t, tg)
	// The stem's 32 neurons sit 5 to a core.
	if got := SANAFEInputsPerCore(g, tg); got != 5 {
		t.Fatalf("SANAFEInputsPerCore = %d, want 5", got)
	}
	var buf bytes.Buffer
	if err := WriteSANAFEArchInputs(&buf, tg, 5); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	want := fmt.Sprintf("max_neurons_supported: %d", tg.Profile.Core.MaxNeurons+5)
	if !strings.Contains(out, "name: tiny_inputs[0..4]") || !strings.Contains(out, want) {
		t.Errorf("arch lacks tiny_inputs[0..4] or %q:\n%s", want, out)
	}
	buf.Reset()
	if err := WriteSANAFEArchInputs(&buf, tg, 0); err != nil || strings.Contains(buf.String(), "_inputs[") {
		t.Errorf("no inputs: err %v, input units present: %v", err, strings.Contains(buf.String(), "_inputs["))
	}
	if err := WriteSANAFEArchInputs(&buf, tg, -1); err == nil || !strings.Contains(err.Error(), "-1 input units per core") {
		t.Errorf("negative inputs: got %v", err)
	}
}

// sanafeArchCores expands a SANA-FE architecture the way SANA-FE numbers
// it (tiles, then the cores of a tile, in the order of their entries,
// ranges "[a..b]" expanded) and returns, per core, its input soma units
// and max_neurons_supported.
func sanafeArchCores(t *testing.T, text string) (units, slots []int) {
	t.Helper()
	var doc struct {
		Architecture struct {
			Tile []struct {
				Name string
				Core []struct {
					Name       string
					Attributes struct {
						MaxNeurons int `yaml:"max_neurons_supported"`
					}
					Soma []struct{ Name string }
				}
			}
		}
	}
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	span := func(name string) (a, b int) {
		if _, err := fmt.Sscanf(name[strings.LastIndex(name, "[")+1:], "%d..%d]", &a, &b); err != nil {
			t.Fatalf("entry %q: want a range [a..b]: %v", name, err)
		}
		return a, b
	}
	nextTile := 0
	for _, tile := range doc.Architecture.Tile {
		ta, tb := span(tile.Name)
		if ta != nextTile {
			t.Fatalf("tile entry %q starts at %d, want %d", tile.Name, ta, nextTile)
		}
		nextTile = tb + 1
		for range tb - ta + 1 {
			next := 0
			for _, c := range tile.Core {
				ca, cb := span(c.Name)
				if ca != next {
					t.Fatalf("core entry %q starts at %d, want %d", c.Name, ca, next)
				}
				next = cb + 1
				n := 0
				for _, s := range c.Soma {
					if strings.Contains(s.Name, "_inputs[") {
						a, b := span(s.Name)
						n += b - a + 1
					}
				}
				for range cb - ca + 1 {
					units, slots = append(units, n), append(slots, c.Attributes.MaxNeurons)
				}
			}
		}
	}
	return units, slots
}

// TestSANAFEArchCoreInputs: input soma units only on the cores that hold
// input neurons, as many as each holds, and that many more neuron slots;
// every other core as in WriteSANAFEArch.
func TestSANAFEArchCoreInputs(t *testing.T) {
	tg := mustLookup(t, "loihi1-sanafe")
	g := sanafeNet(t, tg)
	per := SANAFEInputCores(g, tg)
	busy, total := 0, 0
	for _, n := range per {
		total += n
		if n > 0 {
			busy++
		}
	}
	if stem := g.Pops[1].Shape.Len(); total != stem || busy == 0 || busy == tg.NumCores {
		t.Fatalf("SANAFEInputCores: %d input neurons on %d of %d cores, want the stem's %d on some cores", total, busy, tg.NumCores, stem)
	}
	if got, want := SANAFEInputsPerCore(g, tg), slices.Max(per); got != want {
		t.Errorf("SANAFEInputsPerCore = %d, want %d", got, want)
	}
	// A pattern that splits tiles and cores into several runs.
	per[len(per)-1], per[5] = 3, 7
	var buf bytes.Buffer
	if err := WriteSANAFEArchCoreInputs(&buf, tg, per); err != nil {
		t.Fatal(err)
	}
	units, slots := sanafeArchCores(t, buf.String())
	if len(units) != tg.NumCores {
		t.Fatalf("%d cores, want %d", len(units), tg.NumCores)
	}
	for c := range units {
		if units[c] != per[c] || slots[c] != tg.Profile.Core.MaxNeurons+per[c] {
			t.Errorf("core %d: %d input units, %d slots; want %d, %d", c, units[c], slots[c], per[c], tg.Profile.Core.MaxNeurons+per[c])
		}
	}
	buf.Reset()
	if err := WriteSANAFEArch(&buf, tg); err != nil {
		t.Fatal(err)
	}
	if units, slots := sanafeArchCores(t, buf.String()); len(units) != tg.NumCores || units[0] != tg.Profile.Core.MaxNeurons || slots[0] != tg.Profile.Core.MaxNeurons {
		t.Errorf("WriteSANAFEArch: %d cores, core 0 %d units %d slots; want %d cores, one unit per slot", len(units), units[0], slots[0], tg.NumCores)
	}
	if err := WriteSANAFEArchCoreInputs(&buf, tg, per[1:]); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("want %d", tg.NumCores)) {
		t.Errorf("short list: got %v", err)
	}
	per[2] = -1
	if err := WriteSANAFEArchCoreInputs(&buf, tg, per); err == nil || !strings.Contains(err.Error(), "core 2: -1 input units") {
		t.Errorf("negative count: got %v", err)
	}
}
