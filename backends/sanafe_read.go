package backends

// This file reads back the SANA-FE network files WriteSANAFENetwork
// writes (its own subset of SANA-FE's format, line by line: the files of a
// large network are hundreds of MB, too big for a YAML tree).

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SANAFENet is a SANA-FE network file as WriteSANAFENetwork writes it.
type SANAFENet struct {
	Name   string
	Groups []SANAFENetGroup
	Edges  []SANAFEEdge
}

// SANAFENetGroup is one group: its attributes as written (values
// unparsed), its neurons' biases, and from the mappings each neuron's core
// ("TILE.CORE") and soma unit ("" when the group's default).
type SANAFENetGroup struct {
	Name  string
	Attrs map[string]string
	Bias  []float64
	Core  []string
	Soma  []string
}

// SANAFEEdge is one hyperedge: Type is dense, conv2d or sparse; Pairs the
// sparse edge's source and target indices (s0, d0, s1, d1, ...); Conv the
// conv2d parameters (input_height, kernel_count, ...); Weight the weights
// in SANA-FE's order for the type.
type SANAFEEdge struct {
	Src, Dst string
	Type     string
	Pairs    []int
	Conv     map[string]int
	Weight   []float64
}

// Group returns the group named name, or nil.
func (n *SANAFENet) Group(name string) *SANAFENetGroup {
	for i := range n.Groups {
		if n.Groups[i].Name == name {
			return &n.Groups[i]
		}
	}
	return nil
}

// Synapses calls fn for every synapse of e, expanded as SANA-FE does for
// its type, with nSrc and nDst the sizes of its groups. It reports a
// weight list of the wrong length or an index out of range.
func (e *SANAFEEdge) Synapses(nSrc, nDst int, fn func(s, d int, w float64)) error {
	switch e.Type {
	case "dense":
		if len(e.Weight) != nSrc*nDst {
			return fmt.Errorf("backends: sanafe edge %s -> %s: %d dense weights, want %d", e.Src, e.Dst, len(e.Weight), nSrc*nDst)
		}
		for s := range nSrc {
			for d := range nDst {
				fn(s, d, e.Weight[s*nDst+d])
			}
		}
	case "sparse":
		if len(e.Pairs) != 2*len(e.Weight) {
			return fmt.Errorf("backends: sanafe edge %s -> %s: %d pairs and %d weights, want as many", e.Src, e.Dst, len(e.Pairs)/2, len(e.Weight))
		}
		for i, w := range e.Weight {
			s, d := e.Pairs[2*i], e.Pairs[2*i+1]
			if s < 0 || s >= nSrc || d < 0 || d >= nDst {
				return fmt.Errorf("backends: sanafe edge %s -> %s: pair [%d, %d] out of range %d x %d", e.Src, e.Dst, s, d, nSrc, nDst)
			}
			fn(s, d, w)
		}
	case "conv2d":
		c := e.Conv
		ih, iw, ic, kc := c["input_height"], c["input_width"], c["input_channels"], c["kernel_count"]
		kh, kw, sh, sw := c["kernel_height"], c["kernel_width"], c["stride_height"], c["stride_width"]
		if min(ih, iw, ic, kc, kh, kw, sh, sw) <= 0 || kh > ih || kw > iw {
			return fmt.Errorf("backends: sanafe edge %s -> %s: conv2d parameters %v, want all > 0 and kernel <= input", e.Src, e.Dst, c)
		}
		oh, ow := (ih-kh)/sh+1, (iw-kw)/sw+1
		if nSrc != ic*ih*iw || nDst != kc*oh*ow || len(e.Weight) != kh*kw*ic*kc {
			return fmt.Errorf("backends: sanafe edge %s -> %s: conv2d of %d -> %d neurons with %d weights, want %d -> %d with %d",
				e.Src, e.Dst, nSrc, nDst, len(e.Weight), ic*ih*iw, kc*oh*ow, kh*kw*ic*kc)
		}
		for co := range kc {
			for y := range oh {
				for x := range ow {
					for ci := range ic {
						for ky := range kh {
							for kx := range kw {
								fn((ci*ih+y*sh+ky)*iw+x*sw+kx, (co*oh+y)*ow+x, e.Weight[((ky*kw+kx)*ic+ci)*kc+co])
							}
						}
					}
				}
			}
		}
	default:
		return fmt.Errorf("backends: sanafe edge %s -> %s: type %q, want dense, conv2d or sparse", e.Src, e.Dst, e.Type)
	}
	return nil
}

// ReadSANAFENetwork reads a network file written by WriteSANAFENetwork.
// Errors name the line.
func ReadSANAFENetwork(r io.Reader) (*SANAFENet, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	net := &SANAFENet{}
	section := ""
	var g *SANAFENetGroup
	for ln := 1; ; ln++ {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("backends: sanafe network: line %d: %w", ln, err)
		}
		if line == "" && err == io.EOF {
			break
		}
		t := strings.TrimRight(line, "\r\n")
		bad := func(what string) error {
			if len(t) > 80 {
				t = t[:80] + "..."
			}
			return fmt.Errorf("backends: sanafe network: line %d: %s in %q", ln, what, t)
		}
		trim := strings.TrimSpace(t)
		switch {
		case trim == "" || strings.HasPrefix(trim, "#"):
		case t == "network:" || t == "  groups:":
			section = "groups"
		case t == "  edges:":
			section = "edges"
		case t == "mappings:":
			section = "mappings"
		case strings.HasPrefix(t, "  name: "):
			net.Name = t[len("  name: "):]
		case section == "groups" && strings.HasPrefix(t, "    - name: "):
			net.Groups = append(net.Groups, SANAFENetGroup{Name: t[len("    - name: "):], Attrs: map[string]string{}})
			g = &net.Groups[len(net.Groups)-1]
		case section == "groups" && g != nil && strings.HasPrefix(t, "      attributes: ["):
			kv, err := splitFlow(strings.TrimSuffix(t[len("      attributes: ["):], "]"))
			if err != nil {
				return nil, bad(err.Error())
			}
			for i := 0; i < len(kv); i += 2 {
				g.Attrs[kv[i]] = kv[i+1]
			}
		case section == "groups" && g != nil && t == "      neurons:":
		case section == "groups" && g != nil && strings.HasPrefix(t, "        - "):
			rng, attrs, _ := strings.Cut(t[len("        - "):], ": ")
			a, b, err := parseSANAFERange(rng)
			if err != nil || a != len(g.Bias) {
				return nil, bad(fmt.Sprintf("neuron range %q (want one starting at %d)", rng, len(g.Bias)))
			}
			bias := 0.0
			if attrs != "" {
				kv, err := splitFlow(strings.TrimSuffix(strings.TrimPrefix(attrs, "["), "]"))
				if err != nil || len(kv) != 2 || kv[0] != "bias" {
					return nil, bad("neuron attributes: want [bias: V]")
				}
				if bias, err = strconv.ParseFloat(kv[1], 64); err != nil {
					return nil, bad("bias")
				}
			}
			for range b - a + 1 {
				g.Bias = append(g.Bias, bias)
			}
		case section == "edges" && strings.HasPrefix(t, "    - "):
			e, err := parseSANAFEEdge(t[len("    - "):])
			if err != nil {
				return nil, bad(err.Error())
			}
			net.Edges = append(net.Edges, e)
		case section == "mappings" && strings.HasPrefix(t, "  - "):
			if err := parseSANAFEMapping(net, t[len("  - "):]); err != nil {
				return nil, bad(err.Error())
			}
		default:
			return nil, bad("unexpected line")
		}
		if err == io.EOF {
			break
		}
	}
	for _, g := range net.Groups {
		for j, c := range g.Core {
			if c == "" {
				return nil, fmt.Errorf("backends: sanafe network: group %s neuron %d has no mapping", g.Name, j)
			}
		}
	}
	return net, nil
}

// parseSANAFERange parses "a" or "a..b" (inclusive).
func parseSANAFERange(s string) (a, b int, err error) {
	x, y, ok := strings.Cut(s, "..")
	if a, err = strconv.Atoi(x); err != nil {
		return 0, 0, err
	}
	b = a
	if ok {
		if b, err = strconv.Atoi(y); err != nil {
			return 0, 0, err
		}
	}
	if a < 0 || b < a {
		return 0, 0, fmt.Errorf("range %q: want 0 <= a <= b", s)
	}
	return a, b, nil
}

// splitFlow splits "k1: v1, k2: [x, [y]], k3: v3" into k1, v1, k2, "[x,
// [y]]", ...: commas inside brackets do not split.
func splitFlow(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	flush := func(end int) error {
		item := strings.TrimSpace(s[start:end])
		if item == "" {
			return nil
		}
		k, v, ok := strings.Cut(item, ": ")
		if !ok {
			return fmt.Errorf("attribute %q: want key: value", item)
		}
		out = append(out, strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`))
		return nil
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				if err := flush(i); err != nil {
					return nil, err
				}
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets")
	}
	return out, flush(len(s))
}

// parseSANAFEEdge parses "A -> B: {type: T, ...}".
func parseSANAFEEdge(s string) (SANAFEEdge, error) {
	head, body, ok := strings.Cut(s, ": {")
	src, dst, ok2 := strings.Cut(head, " -> ")
	if !ok || !ok2 || !strings.HasSuffix(body, "}") {
		return SANAFEEdge{}, fmt.Errorf("edge: want \"A -> B: {type: ...}\"")
	}
	e := SANAFEEdge{Src: src, Dst: dst, Conv: map[string]int{}}
	kv, err := splitFlow(body[:len(body)-1])
	if err != nil {
		return e, err
	}
	for i := 0; i < len(kv); i += 2 {
		k, v := kv[i], kv[i+1]
		switch k {
		case "type":
			e.Type = v
		case "weight":
			if e.Weight, err = parseFloats(v); err != nil {
				return e, fmt.Errorf("weight: %w", err)
			}
		case "source_target_pairs":
			v = strings.NewReplacer("[", " ", "]", " ", ",", " ").Replace(v)
			for _, f := range strings.Fields(v) {
				n, err := strconv.Atoi(f)
				if err != nil {
					return e, fmt.Errorf("source_target_pairs: %w", err)
				}
				e.Pairs = append(e.Pairs, n)
			}
		default:
			n, err := strconv.Atoi(v)
			if err != nil {
				return e, fmt.Errorf("%s: %w", k, err)
			}
			e.Conv[k] = n
		}
	}
	return e, nil
}

func parseFloats(v string) ([]float64, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return nil, fmt.Errorf("want a [list]")
	}
	var out []float64
	for _, f := range strings.Split(v[1:len(v)-1], ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// parseSANAFEMapping parses "G[.a[..b]]: {core: "t.c"[, soma: "u"]}".
func parseSANAFEMapping(net *SANAFENet, s string) error {
	who, body, ok := strings.Cut(s, ": {")
	if !ok || !strings.HasSuffix(body, "}") {
		return fmt.Errorf("mapping: want \"GROUP.a..b: {core: ...}\"")
	}
	name, rng, hasRange := strings.Cut(who, ".")
	g := net.Group(name)
	if g == nil {
		return fmt.Errorf("mapping of unknown group %q", name)
	}
	if g.Core == nil {
		g.Core, g.Soma = make([]string, len(g.Bias)), make([]string, len(g.Bias))
	}
	a, b := 0, len(g.Bias)-1
	if hasRange {
		var err error
		if a, b, err = parseSANAFERange(rng); err != nil || b >= len(g.Bias) {
			return fmt.Errorf("mapping range %q of group %s with %d neurons", rng, name, len(g.Bias))
		}
	}
	kv, err := splitFlow(body[:len(body)-1])
	if err != nil {
		return err
	}
	var core, soma string
	for i := 0; i < len(kv); i += 2 {
		switch kv[i] {
		case "core":
			core = kv[i+1]
		case "soma":
			soma = kv[i+1]
		default:
			return fmt.Errorf("mapping key %q, want core or soma", kv[i])
		}
	}
	for j := a; j <= b; j++ {
		if g.Core[j] != "" {
			return fmt.Errorf("group %s neuron %d mapped twice", name, j)
		}
		g.Core[j], g.Soma[j] = core, soma
	}
	return nil
}
