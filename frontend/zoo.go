package frontend

import "strings"

// ZooEntry is a built-in architecture.
type ZooEntry struct {
	Name   string
	Source string // where the architecture comes from
	Spec   Spec
}

// zoo lists the built-in architectures. The searched AutoSNN networks are
// the paper's Table 2 / Fig. 5 results on CIFAR-10 (C = 16, T = 8) for each
// lambda; the hand-crafted baselines use the channel counts of their papers
// as the AutoSNN comparison does.
var zoo = []ZooEntry{
	searched("autosnn", "lambda -0.08 (the paper's default)", "SRB_k5", "SRB_k5", "skip", "SRB_k3", "SRB_k5"),
	searched("autosnn-l0", "lambda 0", "SRB_k5", "SRB_k5", "SRB_k5", "SCB_k5", "SRB_k5"),
	searched("autosnn-l16", "lambda -0.16", "SRB_k5", "SRB_k5", "skip", "SRB_k5", "SRB_k5"),
	searched("autosnn-l24", "lambda -0.24", "skip", "SRB_k5", "skip", "SCB_k5", "SRB_k5"),
	fixed("cifarnet-wu", "Wu et al., AAAI 2019: CIFARNet (PLIF neurons, voting head)", 128),
	fixed("cifarnet-fang", "Fang et al., ICCV 2021: CIFAR-10 network", 256),
	fixed("resnet11-lee", "Lee et al., Front. Neurosci. 2020: ResNet11", 64),
	fixed("resnet19-zheng", "Zheng et al., AAAI 2021: ResNet19", 128),
	uniform("snn1", "SCB_k3"), uniform("snn1", "SRB_k3"),
	uniform("snn2", "SCB_k3"), uniform("snn2", "SRB_k3"),
	uniform("snn3", "SCB_k3"), uniform("snn3", "SRB_k3"),
	uniform("snn4", "SCB_k3"), uniform("snn4", "SRB_k3"),
}

func searched(name, lambda string, blocks ...string) ZooEntry {
	s := DefaultSpec(blocks...)
	s.Name = name
	return ZooEntry{Name: name, Source: "AutoSNN (Na et al., ICML 2022), CIFAR-10 search with " + lambda, Spec: s}
}

func fixed(macro, source string, c int) ZooEntry {
	s := DefaultSpec()
	s.Name, s.Macro, s.Channels = macro, macro, c
	return ZooEntry{Name: macro, Source: source, Spec: s}
}

// uniform is a macro with the same block at every position, as in the
// paper's Table 1 design-choice comparison.
func uniform(macro, block string) ZooEntry {
	n := macros[macro].blocks
	blocks := make([]string, n)
	for i := range blocks {
		blocks[i] = block
	}
	s := DefaultSpec(blocks...)
	s.Macro = macro
	s.Name = macro + "-" + strings.ToLower(strings.ReplaceAll(block, "_k", ""))
	return ZooEntry{Name: s.Name, Source: "AutoSNN paper Table 1 / Fig. 7: " + strings.ToUpper(macro[:3]) + "_" + macro[3:] + " with " + block + " in every block", Spec: s}
}

// Zoo returns the built-in architectures in display order. The returned
// specs are copies.
func Zoo() []ZooEntry {
	out := make([]ZooEntry, len(zoo))
	for i, e := range zoo {
		e.Spec.Blocks = append([]string(nil), e.Spec.Blocks...)
		e.Spec.Input = append([]int(nil), e.Spec.Input...)
		out[i] = e
	}
	return out
}

// LookupZoo returns the zoo entry with the given name (case-insensitive).
func LookupZoo(name string) (ZooEntry, bool) {
	for _, e := range Zoo() {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return ZooEntry{}, false
}
