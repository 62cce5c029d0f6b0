package supernet

import (
	"fmt"
	"math/rand/v2"

	"github.com/autosnn/autosnn/frontend"
	"github.com/autosnn/autosnn/ir"
	"github.com/autosnn/autosnn/search"
	"github.com/autosnn/autosnn/search/engine/nn"
	"github.com/autosnn/autosnn/search/engine/train"
)

// SuperNet holds every candidate block of a search space at every block
// position, each with its own weights, between a shared stem, shared
// pools and a shared head. One path (an architecture of the space) runs
// per Forward.
type SuperNet struct {
	space  search.Space
	env    *train.Env
	ownEnv bool
	ref    *ir.Graph // the space lowered with candidate 1 everywhere (shared parts come from it)

	// shared[0] is the stem; shared[i] (1 <= i <= P) runs after block
	// position i (pools; shared[P] also holds the head). Entries between
	// 1 and P-1 are nil where nothing sits between two positions.
	shared []*train.Part
	// blocks[pos][c] is candidate c at 0-based position pos.
	blocks [][]*train.Block

	vote *nn.Vote
	mse  nn.MSERateLoss
	ce   nn.CrossEntropyLoss

	params  []*nn.Param
	owner   []int // per param: -1 shared, else pos*len(Candidates)+c
	buffers []*nn.Param

	in, fl, counter nn.Tensor
	outShape        []int       // shape of the head's output in the last Forward
	path            search.Arch // path of the last Forward
	hasLoss         bool
	pred            []int
}

// New builds the super-network of space with weights drawn from rng
// (PyTorch's default initialisation, in a fixed order: stem, then for each
// position its candidates in index order and the shared layers after it).
// env may be nil (a private Env with GOMAXPROCS workers; Close releases it).
func New(space search.Space, rng *rand.Rand, env *train.Env) (*SuperNet, error) {
	if space.Positions < 1 || len(space.Candidates) < 1 {
		return nil, fmt.Errorf("supernet: space %s has %d positions and %d candidates, want >= 1 of each", space.Name, space.Positions, len(space.Candidates))
	}
	s := &SuperNet{space: space, env: env}
	if env == nil {
		s.env, s.ownEnv = train.NewEnv(0), true
	}
	if err := s.build(rng); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *SuperNet) build(rng *rand.Rand) error {
	sp, nc, np := s.space, len(s.space.Candidates), s.space.Positions
	// Each candidate's blocks come from the space lowered with that
	// candidate at every position (block populations depend only on the
	// position's choice and the macro).
	graphs := make([]*ir.Graph, nc)
	for c := range nc {
		a := make(search.Arch, np)
		for i := range a {
			a[i] = c
		}
		g, err := frontend.Lower(sp.Spec(a))
		if err != nil {
			return fmt.Errorf("supernet: space %s, candidate %s: %w", sp.Name, sp.Candidates[c], err)
		}
		graphs[c] = g
	}
	// The shared layers come from a graph without identity blocks so that
	// every pool reads a block population (candidate 1 is a conv block when
	// there is more than one candidate).
	s.ref = graphs[min(1, nc-1)]
	g := s.ref
	groups := make([][]*ir.Population, np+1)
	pos := 0
	for _, p := range g.Pops[1:] {
		if p.Role.Kind == ir.RoleBlock {
			if p.Role.Block < pos || p.Role.Block > np {
				return fmt.Errorf("supernet: space %s: population %s is in block %d after block %d, want blocks in order 1..%d", sp.Name, p.Name, p.Role.Block, pos, np)
			}
			pos = p.Role.Block
			continue
		}
		groups[pos] = append(groups[pos], p)
	}
	if len(groups[0]) == 0 || len(groups[np]) == 0 {
		return fmt.Errorf("supernet: space %s: want a stem before block 1 and a head after block %d", sp.Name, np)
	}
	s.shared = make([]*train.Part, np+1)
	s.blocks = make([][]*train.Block, np)
	addShared := func(i int) error {
		if len(groups[i]) == 0 {
			return nil
		}
		pt, err := train.BuildPart(g, groups[i], rng, s.env)
		if err != nil {
			return fmt.Errorf("supernet: space %s: %w", sp.Name, err)
		}
		s.shared[i] = pt
		s.addParams(pt.Params(), pt.Buffers(), -1)
		return nil
	}
	if err := addShared(0); err != nil {
		return err
	}
	for p := range np {
		for c := range nc {
			b, err := train.BuildBlock(graphs[c], p+1, fmt.Sprintf("blocks.%d.%s", p, sp.Candidates[c]), rng, s.env)
			if err != nil {
				return fmt.Errorf("supernet: space %s: %w", sp.Name, err)
			}
			s.blocks[p] = append(s.blocks[p], b)
			s.addParams(b.Params(), b.Buffers(), p*nc+c)
		}
		if err := addShared(p + 1); err != nil {
			return err
		}
	}
	if g.Vote > 1 {
		s.vote = nn.NewVote("vote", g.Vote)
	}
	s.SetTraining(true)
	return nil
}

func (s *SuperNet) addParams(ps, bufs []*nn.Param, owner int) {
	for _, p := range ps {
		s.params = append(s.params, p)
		s.owner = append(s.owner, owner)
	}
	s.buffers = append(s.buffers, bufs...)
}

// Close releases the Env if New created it.
func (s *SuperNet) Close() {
	if s.ownEnv {
		s.env.Close()
	}
}

// Space returns the search space.
func (s *SuperNet) Space() search.Space { return s.space }

// Env returns the compute environment.
func (s *SuperNet) Env() *train.Env { return s.env }

// Params returns every learnable parameter (shared and of every candidate)
// in build order; names are unique ("stem.conv.weight",
// "blocks.2.SRB_k5.conv1.weight", "fc.weight").
func (s *SuperNet) Params() []*nn.Param { return s.params }

// Buffers returns every batch-norm running statistic in build order.
func (s *SuperNet) Buffers() []*nn.Param { return s.buffers }

// OnPath reports whether parameter i of Params belongs to path a (shared
// parameters belong to every path).
func (s *SuperNet) OnPath(i int, a search.Arch) bool {
	o := s.owner[i]
	if o < 0 {
		return true
	}
	nc := len(s.space.Candidates)
	return a[o/nc] == o%nc
}

// SetTraining switches every layer between training and evaluation mode.
func (s *SuperNet) SetTraining(training bool) {
	for _, p := range s.shared {
		if p != nil {
			p.SetTraining(training)
		}
	}
	for _, row := range s.blocks {
		for _, b := range row {
			b.SetTraining(training)
		}
	}
}

// checkArch returns an error unless a is an architecture of the space.
func (s *SuperNet) checkArch(a search.Arch) error {
	if len(a) != s.space.Positions {
		return fmt.Errorf("supernet: architecture %v has %d blocks, want %d", a, len(a), s.space.Positions)
	}
	for i, c := range a {
		if c < 0 || c >= len(s.space.Candidates) {
			return fmt.Errorf("supernet: architecture %v: block %d is %d, want 0..%d", a, i+1, c, len(s.space.Candidates)-1)
		}
	}
	return nil
}

// InputShape returns the shape Forward expects for a batch of n samples:
// [n, C, H, W] under direct encoding, [T, n, C, H, W] under frames.
func (s *SuperNet) InputShape(n int) []int {
	in := s.ref.Input().Shape
	if s.ref.Encoding == ir.Frames {
		return []int{s.ref.T, n, in.C, in.H, in.W}
	}
	return []int{n, in.C, in.H, in.W}
}

// stemInput wraps a batch as the stem's input ([1, N, C, H, W] under
// direct encoding) and returns the batch size.
func (s *SuperNet) stemInput(x *nn.Tensor) (*nn.Tensor, int, error) {
	in := s.ref.Input().Shape
	if s.ref.Encoding == ir.Frames {
		if len(x.Shape) != 5 || x.Shape[0] != s.ref.T || x.Shape[2] != in.C || x.Shape[3] != in.H || x.Shape[4] != in.W || len(x.Data) != x.Len() {
			return nil, 0, fmt.Errorf("supernet: input has shape %v, want [%d N %d %d %d] (time-major frames)", x.Shape, s.ref.T, in.C, in.H, in.W)
		}
		s.in = nn.Tensor{Shape: append(s.in.Shape[:0], x.Shape...), Data: x.Data}
		return &s.in, x.Shape[1], nil
	}
	if len(x.Shape) != 4 || x.Shape[1] != in.C || x.Shape[2] != in.H || x.Shape[3] != in.W || len(x.Data) != x.Len() {
		return nil, 0, fmt.Errorf("supernet: input has shape %v, want [N %d %d %d]", x.Shape, in.C, in.H, in.W)
	}
	s.in = nn.Tensor{Shape: append(s.in.Shape[:0], 1, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]), Data: x.Data}
	return &s.in, x.Shape[0], nil
}

// step runs block position pos (0-based) with candidate c on x, then the
// shared layers after it, and returns the output, its paper-metric spikes
// (summed over steps and batch) and the layers that produced it (src when
// x passes through unchanged). src produced x; in evaluation the block
// takes the nonzero lists of x from it (train.LinkInput).
func (s *SuperNet) step(pos, c int, x *nn.Tensor, src train.EventSource) (*nn.Tensor, int64, train.EventSource, error) {
	b := s.blocks[pos][c]
	sh := s.shared[pos+1]
	if !b.Identity() {
		defer train.LinkInput(b, src)()
		src = b
	}
	if sh != nil {
		// In evaluation the block's output may go straight into the
		// pool after it (y is then nil until sh.Forward).
		defer train.LinkPool(b, sh)()
		src = sh
	}
	y, err := b.Forward(x)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("supernet: block %d (%s): %w", pos+1, s.space.Candidates[c], err)
	}
	spikes := b.Spikes()
	if sh != nil {
		if y, err = sh.Forward(y); err != nil {
			return nil, 0, nil, fmt.Errorf("supernet: after block %d: %w", pos+1, err)
		}
		spikes += sh.Spikes()
	}
	return y, spikes, src, nil
}

// scores turns the head's output y into the voting layer's output
// [T, N, K] and fills the class counter [N, K].
func (s *SuperNet) scores(y *nn.Tensor, n int) (*nn.Tensor, error) {
	if len(y.Shape) != 3 {
		s.fl = nn.Tensor{Shape: append(s.fl.Shape[:0], y.Shape[0], y.Shape[1], len(y.Data)/(y.Shape[0]*y.Shape[1])), Data: y.Data}
		y = &s.fl
	}
	var err error
	if s.vote != nil {
		if y, err = s.vote.Forward(y); err != nil {
			return nil, err
		}
	}
	steps, k := y.Shape[0], y.Shape[2]
	s.counter.Shape = append(s.counter.Shape[:0], n, k)
	if cap(s.counter.Data) < n*k {
		s.counter.Data = make([]float32, n*k)
	}
	s.counter.Data = s.counter.Data[:n*k]
	copy(s.counter.Data, y.Data[:n*k])
	for t := 1; t < steps; t++ {
		for i, v := range y.Data[t*n*k : (t+1)*n*k] {
			s.counter.Data[i] += v
		}
	}
	return y, nil
}

// Forward runs path a on batch x ([N, C, H, W] under direct encoding,
// [T, N, C, H, W] under frames) and returns the mean loss over the batch
// (0 with nil labels) and the paper-metric spikes summed over the batch.
// Predictions are available from Predict until the next Forward.
func (s *SuperNet) Forward(x *nn.Tensor, labels []int, a search.Arch) (loss float64, spikes int64, err error) {
	s.hasLoss = false
	if err := s.checkArch(a); err != nil {
		return 0, 0, err
	}
	in, n, err := s.stemInput(x)
	if err != nil {
		return 0, 0, err
	}
	if labels != nil && len(labels) != n {
		return 0, 0, fmt.Errorf("supernet: %d labels for a batch of %d", len(labels), n)
	}
	y, err := s.shared[0].Forward(in)
	if err != nil {
		return 0, 0, fmt.Errorf("supernet: stem: %w", err)
	}
	spikes = s.shared[0].Spikes()
	var src train.EventSource = s.shared[0]
	for pos, c := range a {
		var sp int64
		if y, sp, src, err = s.step(pos, c, y, src); err != nil {
			return 0, 0, err
		}
		spikes += sp
	}
	s.outShape = append(s.outShape[:0], y.Shape...)
	v, err := s.scores(y, n)
	if err != nil {
		return 0, 0, err
	}
	s.path = append(s.path[:0], a...)
	if labels == nil {
		return 0, spikes, nil
	}
	if s.ref.Loss == ir.CrossEntropy {
		loss, err = s.ce.Forward(v, labels)
	} else {
		loss, err = s.mse.Forward(v, labels)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("supernet: %w", err)
	}
	if s.env.CheckFinite {
		if err := nn.CheckFiniteScalar("loss", s.env.Step, "loss", loss); err != nil {
			return 0, 0, err
		}
	}
	s.hasLoss = true
	return loss, spikes, nil
}

// Predict writes the predicted class of each sample of the last Forward
// (argmax of the class counter, first maximum on ties) into dst.
func (s *SuperNet) Predict(dst []int) []int { return nn.Predict(&s.counter, dst) }

// Backward computes the gradients of the last Forward's loss along its
// path and adds them to Param.Grad; parameters off the path are untouched.
func (s *SuperNet) Backward() error {
	if !s.hasLoss {
		return fmt.Errorf("supernet: Backward without a Forward with labels")
	}
	var d *nn.Tensor
	var err error
	if s.ref.Loss == ir.CrossEntropy {
		d, err = s.ce.Backward()
	} else {
		d, err = s.mse.Backward()
	}
	if err != nil {
		return err
	}
	if s.vote != nil {
		if d, err = s.vote.Backward(d); err != nil {
			return err
		}
	}
	if len(d.Shape) != len(s.outShape) {
		d = &nn.Tensor{Shape: s.outShape, Data: d.Data}
	}
	np := s.space.Positions
	d, err = s.backPart(np, d)
	if err != nil {
		return err
	}
	for pos := np - 1; pos >= 0; pos-- {
		if pos+1 < np {
			if d, err = s.backPart(pos+1, d); err != nil {
				return err
			}
		}
		if d, err = s.blocks[pos][s.path[pos]].Backward(d); err != nil {
			return fmt.Errorf("supernet: block %d backward: %w", pos+1, err)
		}
	}
	if _, err = s.shared[0].Backward(d); err != nil {
		return fmt.Errorf("supernet: stem backward: %w", err)
	}
	if s.env.CheckFinite {
		for i, p := range s.params {
			if s.OnPath(i, s.path) {
				if err := nn.CheckFinite(p.Name, s.env.Step, "gradient of "+p.Name, p.Grad); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// backPart propagates d back through shared part i (if any).
func (s *SuperNet) backPart(i int, d *nn.Tensor) (*nn.Tensor, error) {
	pt := s.shared[i]
	if pt == nil {
		return d, nil
	}
	out, err := pt.Backward(d)
	if err != nil {
		return nil, fmt.Errorf("supernet: backward after block %d: %w", i, err)
	}
	return out, nil
}
