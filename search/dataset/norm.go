package dataset

import (
	"fmt"
	"math"
)

// declaredNorm holds per-channel mean and standard deviation of the
// training pixels (in units of pixel/255) and where the numbers come from.
type declaredNorm struct {
	mean, std []float32
	source    string
}

// norms are the normalisation constants of each static dataset. Each is the
// per-channel mean and population standard deviation over all pixels of the
// full official training set.
var norms = map[string]declaredNorm{
	"mnist": {[]float32{0.1307}, []float32{0.3081},
		"computed by ComputeNorm over the 60,000 MNIST training images (0.13066, 0.30811); equal to the values in common use"},
	"fashion-mnist": {[]float32{0.2860}, []float32{0.3530},
		"computed by ComputeNorm over the 60,000 Fashion-MNIST training images (0.28604, 0.35302)"},
	"cifar10": {[]float32{0.4914, 0.4822, 0.4465}, []float32{0.2470, 0.2435, 0.2616},
		"CIFAR-10 training-set statistics as used by the AutoSNN reference; not re-measured here"},
	"cifar100": {[]float32{0.5071, 0.4865, 0.4409}, []float32{0.2673, 0.2564, 0.2762},
		"published CIFAR-100 training-set statistics; not re-measured here (ComputeNorm checks them on real data)"},
	"svhn": {[]float32{0.4377, 0.4438, 0.4728}, []float32{0.1980, 0.2010, 0.1970},
		"published SVHN (train_32x32) statistics; not re-measured here (ComputeNorm checks them on real data)"},
	"tiny-imagenet": {[]float32{0.4802, 0.4481, 0.3975}, []float32{0.2770, 0.2691, 0.2821},
		"published Tiny-ImageNet-200 training-set statistics; not re-measured here (ComputeNorm checks them on real data)"},
}

// normFor returns the declared constants of a static dataset (nil for
// event datasets, which are not normalised).
func normFor(name string) (mean, std []float32, source string) {
	if n, ok := norms[name]; ok {
		return n.mean, n.std, n.source
	}
	return nil, nil, ""
}

// ComputeNorm returns the per-channel mean and population standard
// deviation of a split of a static set, in units of pixel/255, computed in
// float64 over every pixel.
func ComputeNorm(s *Set, sp Split) (mean, std []float64, err error) {
	if s.Kind != Static {
		return nil, nil, fmt.Errorf("dataset: %s: normalisation constants apply to static images only", s.Name)
	}
	n := s.Len(sp)
	if n == 0 {
		return nil, nil, fmt.Errorf("dataset: %s: split %s is empty", s.Name, sp)
	}
	hw := s.H * s.W
	sum := make([]float64, s.C)
	sq := make([]float64, s.C)
	for i := range n {
		img := s.Image(sp, i)
		for c := range s.C {
			var a, b uint64
			for _, v := range img[c*hw : (c+1)*hw] {
				a += uint64(v)
				b += uint64(v) * uint64(v)
			}
			sum[c] += float64(a)
			sq[c] += float64(b)
		}
	}
	mean = make([]float64, s.C)
	std = make([]float64, s.C)
	cnt := float64(n) * float64(hw)
	for c := range s.C {
		m := sum[c] / cnt
		mean[c] = m / 255
		std[c] = math.Sqrt(max(0, sq[c]/cnt-m*m)) / 255
	}
	return mean, std, nil
}
