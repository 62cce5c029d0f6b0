package experiments

import (
	"maps"
	"strings"
	"testing"
)

func TestPresetFlags(t *testing.T) {
	cases := []struct {
		preset, data string
		want         map[string]string
	}{
		{"paper", "cifar10:/d", map[string]string{"T": "8", "epochs": "600", "batch": "96", "lr": "0.001", "cutout": "16"}},
		{"paper", "mnist", map[string]string{"T": "8", "epochs": "600", "batch": "96", "lr": "0.001"}},
		{"reduced", "cifar10:/d", map[string]string{"data": "fashion-mnist", "C": "8", "T": "4", "epochs": "20", "batch": "32",
			"lr": "0.001", "limit": "6000", "eval-limit": "2000"}},
	}
	for _, c := range cases {
		p, err := LookupPreset(c.preset)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Flags(c.data); !maps.Equal(got, c.want) {
			t.Errorf("%s on %s: got %v, want %v", c.preset, c.data, got, c.want)
		}
	}
	if _, err := LookupPreset("fast"); err == nil || !strings.Contains(err.Error(), "want one of paper, reduced") {
		t.Errorf("unknown preset: %v", err)
	}
}
