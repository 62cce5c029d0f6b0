package tensor_test

import (
	"fmt"

	"github.com/autosnn/autosnn/search/engine/tensor"
)

// A 3x3 box filter over a 3x3 image with one pixel of zero padding: each
// output pixel is the sum of its neighbourhood.
func ExampleConv2DForward() {
	s := tensor.ConvShape{N: 1, Cin: 1, H: 3, W: 3, Cout: 1, KH: 3, KW: 3, Stride: 1, Pad: 1}
	if err := s.Validate(); err != nil {
		panic(err)
	}
	x := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, s.YLen())
	ws := tensor.NewWorkspace(0)
	defer ws.Close()
	tensor.Conv2DForward(s, x, w, y, ws)
	for i := 0; i < s.OutH(); i++ {
		fmt.Println(y[i*s.OutW() : (i+1)*s.OutW()])
	}
	// Output:
	// [12 21 16]
	// [27 45 33]
	// [24 39 28]
}

// C = A*B^T for a 2x3 A and a 2x3 B.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 1, 0, 1, 0}
	c := make([]float32, 4)
	tensor.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}
