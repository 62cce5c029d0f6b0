package dataset

// Input writes the network input of sample i of split sp into dst (grown
// to SampleLen() if needed) and returns it: for images the pixels scaled
// to [0, 1] and normalised per channel with Mean and Std, channel-major;
// for event data the T frames' event counts, time-major. This is the input
// the IR executors, the compiler's profiling and the simulator take for one
// sample (without augmentation).
func (s *Set) Input(sp Split, i int, dst []float32) ([]float32, error) {
	n := s.SampleLen()
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if s.Kind == Events {
		frames, err := s.Frames(sp, i, nil)
		if err != nil {
			return nil, err
		}
		for j, v := range frames {
			dst[j] = float32(v)
		}
		return dst, nil
	}
	hw := s.H * s.W
	for j, v := range s.Image(sp, i) {
		ch := j / hw
		dst[j] = (float32(v)/255 - s.Mean[ch]) / s.Std[ch]
	}
	return dst, nil
}
