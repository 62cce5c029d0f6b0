package pipeline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var budgetCases = []struct {
	in      string
	want    Budget
	wantErr string
}{
	{in: "", want: Budget{}},
	{in: "cores=128", want: Budget{Cores: 128}},
	{in: "cores=64, energy=2.5uJ, latency=40us", want: Budget{Cores: 64, EnergyPJ: 2.5e6, LatencyNs: 40e3}},
	{in: "energy=1500", want: Budget{EnergyPJ: 1500}},
	{in: "energy=3nJ,latency=2ms", want: Budget{EnergyPJ: 3000, LatencyNs: 2e6}},
	{in: "latency=1s,energy=1mJ", want: Budget{LatencyNs: 1e9, EnergyPJ: 1e9}},
	{in: "latency=7ns", want: Budget{LatencyNs: 7}},
	{in: "cores=0", wantErr: "cores=0: want >= 1"},
	{in: "cores=many", wantErr: "cores=many"},
	{in: "power=3", wantErr: `unknown key "power"`},
	{in: "cores", wantErr: "want key=value"},
	{in: "energy=-1uJ", wantErr: "want a positive number"},
	{in: "energy=2kJ", wantErr: "want a positive number"},
	{in: "cores=1,cores=2", wantErr: "cores given twice"},
}

func TestParseBudget(t *testing.T) {
	for _, c := range budgetCases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseBudget(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("ParseBudget(%q) error %v, want one containing %q", c.in, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBudget(%q): %v", c.in, err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("ParseBudget(%q) (-want +got):\n%s", c.in, d)
			}
			// String round-trips.
			again, err := ParseBudget(strings.ReplaceAll(got.String(), "none", ""))
			if err != nil || again != got {
				t.Errorf("ParseBudget(%q).String() = %q parses to %+v, %v; want %+v", c.in, got.String(), again, err, got)
			}
		})
	}
}

func TestBudgetViolations(t *testing.T) {
	b := Budget{Cores: 10, EnergyPJ: 1e6, LatencyNs: 5e3}
	cases := []struct {
		cores           int
		energy, latency float64
		want            []string
	}{
		{10, 1e6, 5e3, nil},
		{11, 1e6, 5e3, []string{"cores 11, want <= 10"}},
		{1, 1.23456789e6, 5e3, []string{"energy 1.235uJ, want <= 1uJ"}},
		{1, 2e6, 6e3, []string{"energy 2uJ, want <= 1uJ", "latency 6us, want <= 5us"}},
	}
	for _, c := range cases {
		if d := cmp.Diff(c.want, b.Violations(c.cores, c.energy, c.latency)); d != "" {
			t.Errorf("Violations(%d, %g, %g) (-want +got):\n%s", c.cores, c.energy, c.latency, d)
		}
	}
	if v := (Budget{}).Violations(1<<20, 1e30, 1e30); v != nil {
		t.Errorf("empty budget: got violations %v, want none", v)
	}
}

func TestBudgetString(t *testing.T) {
	cases := []struct {
		b    Budget
		want string
	}{
		{Budget{}, "none"},
		{Budget{Cores: 3}, "cores=3"},
		{Budget{EnergyPJ: 1e8, LatencyNs: 40e3}, "energy=100uJ,latency=40us"},
		{Budget{EnergyPJ: 512, LatencyNs: 2.5e6}, "energy=512pJ,latency=2.5ms"},
		{Budget{Cores: 64, EnergyPJ: 3e9, LatencyNs: 12}, "cores=64,energy=3mJ,latency=12ns"},
	}
	for _, c := range cases {
		if got := c.b.String(); got != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.b, got, c.want)
		}
	}
}
