package backends

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MetisGraph is an undirected graph with integer vertex and edge weights
// in the form the METIS partitioner reads (gpmetis graph files, METIS
// manual section 4.1.1). Vertices are 0-based here and 1-based in files.
type MetisGraph struct {
	// VWeights[v] holds the Ncon vertex weights of v (>= 0).
	VWeights [][]int64
	// Adj[v] lists the neighbours of v; EWeights[v][k] is the weight (> 0)
	// of edge (v, Adj[v][k]). Adjacency is symmetric with equal weights,
	// without self loops or duplicates.
	Adj      [][]int
	EWeights [][]int64
}

// Check returns an error describing the first violation of the METIS
// graph invariants.
func (g *MetisGraph) Check() error {
	n := len(g.Adj)
	if len(g.VWeights) != n || len(g.EWeights) != n {
		return fmt.Errorf("backends: metis graph: %d adjacency lists, %d vertex weights, %d edge weight lists, want equal", n, len(g.VWeights), len(g.EWeights))
	}
	ncon := -1
	w := map[[2]int]int64{}
	for v := 0; v < n; v++ {
		if ncon < 0 {
			ncon = len(g.VWeights[v])
		}
		if len(g.VWeights[v]) != ncon || ncon < 1 {
			return fmt.Errorf("backends: metis graph: vertex %d has %d weights, want %d (>= 1)", v+1, len(g.VWeights[v]), ncon)
		}
		for _, x := range g.VWeights[v] {
			if x < 0 {
				return fmt.Errorf("backends: metis graph: vertex %d weight %d, want >= 0", v+1, x)
			}
		}
		if len(g.EWeights[v]) != len(g.Adj[v]) {
			return fmt.Errorf("backends: metis graph: vertex %d has %d neighbours and %d edge weights", v+1, len(g.Adj[v]), len(g.EWeights[v]))
		}
		for k, u := range g.Adj[v] {
			if u < 0 || u >= n || u == v {
				return fmt.Errorf("backends: metis graph: vertex %d neighbour %d, want 1..%d and no self loop", v+1, u+1, n)
			}
			if g.EWeights[v][k] <= 0 {
				return fmt.Errorf("backends: metis graph: edge (%d,%d) weight %d, want > 0", v+1, u+1, g.EWeights[v][k])
			}
			if _, dup := w[[2]int{v, u}]; dup {
				return fmt.Errorf("backends: metis graph: edge (%d,%d) listed twice", v+1, u+1)
			}
			w[[2]int{v, u}] = g.EWeights[v][k]
		}
	}
	for k, x := range w {
		if y, ok := w[[2]int{k[1], k[0]}]; !ok || y != x {
			return fmt.Errorf("backends: metis graph: edge (%d,%d) weight %d but (%d,%d) weight %d, want symmetric", k[0]+1, k[1]+1, x, k[1]+1, k[0]+1, y)
		}
	}
	return nil
}

// Edges returns the number of undirected edges.
func (g *MetisGraph) Edges() int {
	m := 0
	for _, a := range g.Adj {
		m += len(a)
	}
	return m / 2
}

// WriteMETIS writes g in the METIS graph file format: a header
// "n m 011 ncon" (edge and vertex weights present), then one line per
// vertex with its ncon weights followed by (neighbour, edge weight) pairs,
// neighbours 1-based. It checks g first.
func WriteMETIS(w io.Writer, g *MetisGraph) error {
	if err := g.Check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	ncon := 1
	if len(g.VWeights) > 0 {
		ncon = len(g.VWeights[0])
	}
	fmt.Fprintf(bw, "%d %d 011 %d\n", len(g.Adj), g.Edges(), ncon)
	var b []byte
	for v := range g.Adj {
		b = b[:0]
		for i, x := range g.VWeights[v] {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, x, 10)
		}
		for k, u := range g.Adj[v] {
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(u+1), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, g.EWeights[v][k], 10)
		}
		b = append(b, '\n')
		bw.Write(b)
	}
	return bw.Flush()
}

// ReadMETIS reads a METIS graph file with format 011 or 001 or 010 or 0
// (vertex sizes, format 1xx, are rejected). Comment lines start with '%'.
func ReadMETIS(r io.Reader) (*MetisGraph, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	line := 0
	next := func() ([]string, bool) {
		for sc.Scan() {
			line++
			s := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(s, "%") {
				continue
			}
			return strings.Fields(s), true
		}
		return nil, false
	}
	head, ok := next()
	if !ok || len(head) < 2 || len(head) > 4 {
		return nil, fmt.Errorf("backends: metis graph line %d: header %q, want \"n m [fmt [ncon]]\"", line, strings.Join(head, " "))
	}
	nums := make([]int, 4)
	nums[2], nums[3] = 0, 1
	for i, f := range head {
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("backends: metis graph line %d: header field %d %q, want a non-negative integer", line, i+1, f)
		}
		nums[i] = v
	}
	n, m, ncon := nums[0], nums[1], nums[3]
	code := "000"
	if len(head) >= 3 {
		code = head[2]
		if len(code) > 3 {
			code = "bad"
		}
		code = strings.Repeat("0", 3-len(code)) + code
	}
	if code[0] != '0' || strings.Trim(code, "01") != "" {
		return nil, fmt.Errorf("backends: metis graph line 1: format %q, want 0, 1, 10 or 11 (no vertex sizes)", code)
	}
	hasV, hasE := code[1] == '1', code[2] == '1'
	if !hasV {
		ncon = 1
	}
	g := &MetisGraph{VWeights: make([][]int64, n), Adj: make([][]int, n), EWeights: make([][]int64, n)}
	for v := 0; v < n; v++ {
		f, ok := next()
		if !ok {
			return nil, fmt.Errorf("backends: metis graph: %d vertex lines, want %d", v, n)
		}
		ints := make([]int64, len(f))
		for i, s := range f {
			x, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("backends: metis graph line %d: field %d %q, want an integer", line, i+1, s)
			}
			ints[i] = x
		}
		if hasV {
			if len(ints) < ncon {
				return nil, fmt.Errorf("backends: metis graph line %d: %d fields, want at least %d vertex weights", line, len(ints), ncon)
			}
			g.VWeights[v], ints = ints[:ncon], ints[ncon:]
		} else {
			g.VWeights[v] = []int64{1}
		}
		step := 1
		if hasE {
			step = 2
			if len(ints)%2 != 0 {
				return nil, fmt.Errorf("backends: metis graph line %d: odd number of neighbour/weight fields", line)
			}
		}
		for k := 0; k < len(ints); k += step {
			u := int(ints[k]) - 1
			if u < 0 || u >= n {
				return nil, fmt.Errorf("backends: metis graph line %d: neighbour %d, want 1..%d", line, u+1, n)
			}
			wt := int64(1)
			if hasE {
				wt = ints[k+1]
			}
			g.Adj[v] = append(g.Adj[v], u)
			g.EWeights[v] = append(g.EWeights[v], wt)
		}
	}
	if err := g.Check(); err != nil {
		return nil, err
	}
	if g.Edges() != m {
		return nil, fmt.Errorf("backends: metis graph: header says %d edges, file has %d", m, g.Edges())
	}
	return g, nil
}

// ReadMETISPartition reads a METIS partition file (gpmetis writes
// GRAPH.part.K): one 0-based part id per line, n lines, each < k.
func ReadMETISPartition(r io.Reader, n, k int) ([]int, error) {
	sc := bufio.NewScanner(r)
	part := make([]int, 0, n)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		p, err := strconv.Atoi(s)
		if err != nil || p < 0 || p >= k {
			return nil, fmt.Errorf("backends: metis partition line %d: %q, want a part id 0..%d", line, s, k-1)
		}
		part = append(part, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("backends: metis partition: %w", err)
	}
	if len(part) != n {
		return nil, fmt.Errorf("backends: metis partition: %d lines, want %d (one per vertex)", len(part), n)
	}
	return part, nil
}
