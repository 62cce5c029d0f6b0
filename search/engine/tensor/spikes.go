package tensor

import "fmt"

// SpikeWords returns the number of 64-bit words PackSpikes needs for n
// values.
func SpikeWords(n int) int { return (n + 63) / 64 }

// PackSpikes stores the binary tensor x (every value 0 or 1, as a spiking
// layer emits) in dst at one bit per value, 32 times smaller than float32:
// bit i%64 of dst[i/64] is set iff x[i] == 1. Bits past len(x) in the last
// word are zero. It returns an error naming the first offset whose value is
// neither 0 nor 1 (dst is then partly written), and panics if dst has fewer
// than SpikeWords(len(x)) words.
func PackSpikes(dst []uint64, x []float32) error {
	if len(dst) < SpikeWords(len(x)) {
		panic(fmt.Sprintf("tensor: PackSpikes: len(dst) = %d, want >= %d", len(dst), SpikeWords(len(x))))
	}
	for w := range SpikeWords(len(x)) {
		chunk := x[w*64 : min(w*64+64, len(x))]
		var word uint64
		for i, v := range chunk {
			switch v {
			case 0:
			case 1:
				word |= 1 << uint(i)
			default:
				return fmt.Errorf("tensor: PackSpikes: x[%d] = %g, want 0 or 1", w*64+i, v)
			}
		}
		dst[w] = word
	}
	return nil
}

// UnpackSpikes writes the len(dst) values packed by PackSpikes from src into
// dst as 0 or 1. It panics if src has fewer than SpikeWords(len(dst)) words.
func UnpackSpikes(dst []float32, src []uint64) {
	if len(src) < SpikeWords(len(dst)) {
		panic(fmt.Sprintf("tensor: UnpackSpikes: len(src) = %d, want >= %d", len(src), SpikeWords(len(dst))))
	}
	for w := range SpikeWords(len(dst)) {
		chunk := dst[w*64 : min(w*64+64, len(dst))]
		word := src[w]
		for i := range chunk {
			chunk[i] = float32(word >> uint(i) & 1)
		}
	}
}
