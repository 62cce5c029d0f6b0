package nn

// outputter is implemented by every leaf layer of this package: it returns
// the output of the last Forward (nil before the first).
type outputter interface {
	output() *Tensor
}

func (c *Conv2d) output() *Tensor        { return &c.y }
func (l *Linear) output() *Tensor        { return &l.y }
func (b *BatchNorm) output() *Tensor     { return &b.y }
func (n *Neuron) output() *Tensor        { return &n.y }
func (r *ReLU) output() *Tensor          { return &r.y }
func (p *MaxPool2d) output() *Tensor     { return &p.y }
func (p *AvgPool2d) output() *Tensor     { return &p.y }
func (p *GlobalAvgPool) output() *Tensor { return &p.y }
func (f *Flatten) output() *Tensor       { return &f.y }
func (r *Repeat) output() *Tensor        { return &r.y }
func (v *Vote) output() *Tensor          { return &v.y }

// FirstNonFinite scans the outputs of the last Forward of every leaf layer
// under root in forward order and returns a *NonFiniteError naming the first
// layer whose output holds a NaN or an infinity, with the given training
// step; nil when all are finite. A trainer calls it when the loss is not
// finite, to report where the problem started.
func FirstNonFinite(root Layer, step int) error {
	for _, l := range Leaves(root) {
		o, ok := l.(outputter)
		if !ok {
			continue
		}
		if err := CheckFinite(l.Name(), step, "output", o.output().Data); err != nil {
			return err
		}
	}
	return nil
}

// CheckParams returns a *NonFiniteError naming the first parameter whose
// value or gradient is not finite (Layer is the parameter name).
func CheckParams(params []*Param, step int) error {
	for _, p := range params {
		if err := CheckFinite(p.Name, step, "value", p.Data); err != nil {
			return err
		}
		if err := CheckFinite(p.Name, step, "gradient", p.Grad); err != nil {
			return err
		}
	}
	return nil
}
