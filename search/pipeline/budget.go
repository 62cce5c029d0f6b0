package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Budget is what a deployment may spend on top of fitting the chip. A zero
// field means no limit of that kind.
type Budget struct {
	// Cores is the largest number of cores the network may occupy.
	Cores int
	// EnergyPJ is the largest energy per inference, in pJ.
	EnergyPJ float64
	// LatencyNs is the largest latency per inference (all T timesteps), in ns.
	LatencyNs float64
}

// energyUnits and timeUnits are the suffixes ParseBudget accepts, with
// their factor to pJ and ns.
var (
	energyUnits = []unit{{"mJ", 1e9}, {"uJ", 1e6}, {"nJ", 1e3}, {"pJ", 1}}
	timeUnits   = []unit{{"ms", 1e6}, {"us", 1e3}, {"ns", 1}, {"s", 1e9}}
)

type unit struct {
	suffix string
	factor float64
}

// ParseBudget parses "cores=128,energy=2.5uJ,latency=40us" (any subset, in
// any order; "" is no budget). Energy takes pJ, nJ, uJ or mJ and latency
// ns, us, ms or s; a bare number is pJ or ns.
func ParseBudget(s string) (Budget, error) {
	var b Budget
	if strings.TrimSpace(s) == "" {
		return b, nil
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return b, fmt.Errorf("pipeline: budget %q: item %q, want key=value (keys cores, energy, latency)", s, f)
		}
		if seen[k] {
			return b, fmt.Errorf("pipeline: budget %q: %s given twice", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "cores":
			b.Cores, err = strconv.Atoi(v)
			if err != nil || b.Cores < 1 {
				err = fmt.Errorf("want >= 1 (a whole number of cores)")
			}
		case "energy":
			b.EnergyPJ, err = parseQuantity(v, energyUnits)
		case "latency":
			b.LatencyNs, err = parseQuantity(v, timeUnits)
		default:
			return b, fmt.Errorf("pipeline: budget %q: unknown key %q, want cores, energy or latency", s, k)
		}
		if err != nil {
			return b, fmt.Errorf("pipeline: budget %q: %s=%s: %v", s, k, v, err)
		}
	}
	return b, nil
}

func parseQuantity(v string, units []unit) (float64, error) {
	factor := 1.0
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			v, factor = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.factor
			break
		}
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("want a positive number with an optional unit")
	}
	return x * factor, nil
}

// String returns the budget in ParseBudget's syntax ("none" when empty).
func (b Budget) String() string {
	var parts []string
	if b.Cores > 0 {
		parts = append(parts, fmt.Sprintf("cores=%d", b.Cores))
	}
	if b.EnergyPJ > 0 {
		parts = append(parts, "energy="+withUnit(b.EnergyPJ, energyUnits))
	}
	if b.LatencyNs > 0 {
		parts = append(parts, "latency="+withUnit(b.LatencyNs, timeUnits[:3]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// Violations returns, in got/want form, every limit of b that a deployment
// using cores cores, energyPJ pJ and latencyNs ns per inference exceeds.
func (b Budget) Violations(cores int, energyPJ, latencyNs float64) []string {
	var v []string
	if b.Cores > 0 && cores > b.Cores {
		v = append(v, fmt.Sprintf("cores %d, want <= %d", cores, b.Cores))
	}
	if b.EnergyPJ > 0 && energyPJ > b.EnergyPJ {
		v = append(v, fmt.Sprintf("energy %s, want <= %s", withUnit(roundTo(energyPJ, 4), energyUnits), withUnit(b.EnergyPJ, energyUnits)))
	}
	if b.LatencyNs > 0 && latencyNs > b.LatencyNs {
		v = append(v, fmt.Sprintf("latency %s, want <= %s", withUnit(roundTo(latencyNs, 4), timeUnits[:3]), withUnit(b.LatencyNs, timeUnits[:3])))
	}
	return v
}

// withUnit formats v (in the base unit, factor 1) with the largest unit of
// units (ordered from large to small) it is at least 1 of.
func withUnit(v float64, units []unit) string {
	for _, u := range units {
		if v >= u.factor || u.factor == 1 {
			return strconv.FormatFloat(v/u.factor, 'g', -1, 64) + u.suffix
		}
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// roundTo rounds v to digits significant digits.
func roundTo(v float64, digits int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	return r
}
