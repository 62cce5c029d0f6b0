package backends

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// impossibleProfiles each change one line of the built-in tiny profile into
// something no chip has or the schema's types cannot hold. Parse must give
// one *ProfileError with one problem naming the field and its line.
var impossibleProfiles = []struct {
	name, from, to string
	field, msg     string
}{
	{"weight bits beyond the format", "weight_bits: 8", "weight_bits: 63", "precision.weight_bits", "got 63, want <= 16"},
	{"zero weight bits", "weight_bits: 8", "weight_bits: 0", "precision.weight_bits", "got 0, want >= 1"},
	{"fractional neurons", "max_neurons: 64", "max_neurons: 1024.5", "core.max_neurons", "got 1024.5, want an integer"},
	{"neurons in exponent form", "max_neurons: 64", "max_neurons: 1e3", "core.max_neurons", "got 1e3, want an integer"},
	{"too many neurons", "max_neurons: 64", "max_neurons: 99999999999", "core.max_neurons", "want <= 16777216"},
	{"fractional weight bits", "weight_bits: 8", "weight_bits: 8.0", "precision.weight_bits", "got 8.0, want an integer"},
	{"membrane wider than int32", "membrane_bits: 16", "membrane_bits: 40", "precision.membrane_bits", "got 40, want <= 32"},
	{"one-bit membrane", "membrane_bits: 16", "membrane_bits: 1", "precision.membrane_bits", "got 1, want >= 2"},
	{"decay wider than int32", "decay_bits: 12", "decay_bits: 33", "precision.decay_bits", "got 33, want <= 32"},
	{"threshold wider than int32", "threshold_bits: 16", "threshold_bits: 64", "precision.threshold_bits", "got 64, want <= 32"},
	{"payload wider than 32", "spike_payload_bits: 0", "spike_payload_bits: 48", "precision.spike_payload_bits", "got 48, want <= 32"},
	{"more distinct weights than values", "conv_weight_sharing: false", "conv_weight_sharing: false\n  distinct_weights_per_neuron: 257", "core.distinct_weights_per_neuron", "got 257, want <= 256"},
	{"fractional fan-in", "max_fan_in_axons: 128", "max_fan_in_axons: 127.9", "core.max_fan_in_axons", "got 127.9, want an integer"},
	{"memory beyond int64 bits", "synaptic_memory_bytes: 4096", "synaptic_memory_bytes: 2000000000000", "core.synaptic_memory_bytes", "want <= 1099511627776"},
	{"giant packets", "packet_bits: 32", "packet_bits: 100000", "noc.packet_bits", "got 100000, want <= 65536"},
	{"zero buffer", "link_buffer_depth_flits: 4", "link_buffer_depth_flits: 0", "noc.link_buffer_depth_flits", "got 0, want >= 1"},
	{"infinite bandwidth", "link_bandwidth_gmsg_per_s: 1", "link_bandwidth_gmsg_per_s: .inf", "noc.link_bandwidth_gmsg_per_s", "got +Inf, want a finite value"},
	{"infinite energy", "syn_op_pj: 10", "syn_op_pj: .inf", "energy.syn_op_pj", "got +Inf, want a finite value"},
	{"fractional barrier tiles", "{tiles: 1,", "{tiles: 1.5,", "sync.barrier_ns[0].tiles", "got 1.5, want an integer"},
}

func TestImpossibleProfiles(t *testing.T) {
	src, err := BuiltinSource("tiny")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range impossibleProfiles {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(string(src), tc.from) != 1 {
				t.Fatalf("tiny.yaml has %d lines with %q, want 1 (fix the case)", strings.Count(string(src), tc.from), tc.from)
			}
			doc := strings.Replace(string(src), tc.from, tc.to, 1)
			line := 1 + strings.Count(string(src)[:strings.Index(string(src), tc.from)], "\n")
			if strings.Contains(tc.to, "\n") {
				line++ // the case adds a field on the next line
			}
			_, err := Parse([]byte(doc), "my-chip.yaml")
			var pe *ProfileError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() = %v, want a *ProfileError", err)
			}
			if len(pe.Problems) != 1 {
				t.Fatalf("got %d problems %v, want 1 on %s", len(pe.Problems), pe.Problems, tc.field)
			}
			p := pe.Problems[0]
			if p.Field != tc.field || !strings.Contains(p.Msg, tc.msg) || p.Line != line {
				t.Errorf("problem = line %d: %s: %s, want line %d: %s: ...%s...", p.Line, p.Field, p.Msg, line, tc.field, tc.msg)
			}
			want := fmt.Sprintf("backends: my-chip.yaml: line %d: %s: ", line, tc.field)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err, want)
			}
		})
	}
}

// TestMissingFieldLine: a field that is absent is reported at the line of
// its section.
func TestMissingFieldLine(t *testing.T) {
	src, err := BuiltinSource("tiny")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, "  routing: xy")
	j := i + strings.Index(s[i:], "\n") + 1
	_, err = Parse([]byte(s[:i]+s[j:]), "my-chip.yaml")
	var pe *ProfileError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("Parse() = %v, want one problem", err)
	}
	section := 1 + strings.Count(s[:strings.Index(s, "\nnoc:")+1], "\n")
	if p := pe.Problems[0]; p.Field != "noc.routing" || p.Line != section {
		t.Errorf("problem = line %d: %s, want line %d (noc:): noc.routing", p.Line, p.Field, section)
	}
}
