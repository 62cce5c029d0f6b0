// Command asmgen generates the AVX2/FMA assembly micro-kernel of package
// search/tensor with avo. It lives in its own module so that avo does not
// become a dependency of the main module. Run it through go generate in
// search/tensor:
//
//	go generate ./search/tensor
//
// The kernel computes C[0:6, 0:16] += A*B for a packed 6 x k panel of A
// (a[p*6+i] = A[i,p]) and a packed k x 16 panel of B (b[p*16+j] = B[p,j]),
// with C row-major with row stride ldc elements. The 6x16 tile is held in
// twelve YMM accumulators (two 8-wide vectors per row); each step of the
// reduction loads one row of B into two registers, broadcasts the six A
// values of the step in turn and issues twelve fused multiply-adds. The
// reduction loop is unrolled four times. Accumulation starts from zero and
// runs in increasing p, the sum being added to C at the end, exactly the
// order the portable kernel uses.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

const (
	mr     = 6
	nr     = 16
	unroll = 4
)

func main() {
	ConstraintExpr("!purego")
	TEXT("kernel6x16", NOSPLIT, "func(k int, a, b, c *float32, ldc int)")
	Doc(
		"kernel6x16 computes C[0:6, 0:16] += A*B from a packed 6 x k panel of A",
		"and a packed k x 16 panel of B, C having row stride ldc elements.",
		"It requires AVX2 and FMA and k >= 1.",
	)
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc) // elements to bytes

	Comment("Twelve accumulators: acc[i][h] holds C[i, 8h:8h+8].")
	var acc [mr][2]reg.VecVirtual
	for i := range acc {
		for h := range acc[i] {
			acc[i][h] = YMM()
			VXORPS(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	b0, b1 := YMM(), YMM()
	av := [2]reg.VecVirtual{YMM(), YMM()}

	step := func(s int) {
		VMOVUPS(Mem{Base: b, Disp: 4 * nr * s}, b0)
		VMOVUPS(Mem{Base: b, Disp: 4*nr*s + 32}, b1)
		for i := 0; i < mr; i++ {
			r := av[i%2]
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (mr*s + i)}, r)
			VFMADD231PS(b0, r, acc[i][0])
			VFMADD231PS(b1, r, acc[i][1])
		}
	}

	Comment(fmt.Sprintf("Main loop, unrolled %d times.", unroll))
	Label("loop4")
	CMPQ(k, Imm(unroll))
	JL(LabelRef("tail"))
	for s := 0; s < unroll; s++ {
		step(s)
	}
	ADDQ(Imm(4*mr*unroll), a)
	ADDQ(U32(4*nr*unroll), b)
	SUBQ(Imm(unroll), k)
	JMP(LabelRef("loop4"))

	Label("tail")
	TESTQ(k, k)
	JZ(LabelRef("store"))
	step(0)
	ADDQ(Imm(4*mr), a)
	ADDQ(Imm(4*nr), b)
	DECQ(k)
	JMP(LabelRef("tail"))

	Label("store")
	Comment("C += acc, row by row.")
	for i := 0; i < mr; i++ {
		if i > 0 {
			ADDQ(ldc, c)
		}
		for h := 0; h < 2; h++ {
			m := Mem{Base: c, Disp: 32 * h}
			VADDPS(m, acc[i][h], acc[i][h])
			VMOVUPS(acc[i][h], m)
		}
	}
	VZEROUPPER()
	RET()
	Generate()
}
