// Command asmgen generates the AVX2/FMA assembly kernels of package
// search/engine/tensor with avo. It lives in its own module so that avo does not
// become a dependency of the main module. Run it through go generate in
// search/engine/tensor:
//
//	go generate ./search/engine/tensor
//
// The GEMM micro-kernel computes C[0:6, 0:16] += A*B for a packed 6 x k
// panel of A (a[p*6+i] = A[i,p]) and a packed k x 16 panel of B
// (b[p*16+j] = B[p,j]), with C row-major with row stride ldc elements. The
// 6x16 tile is held in twelve YMM accumulators (two 8-wide vectors per
// row); each step of the reduction loads one row of B into two registers,
// broadcasts the six A values of the step in turn and issues twelve fused
// multiply-adds. The reduction loop is unrolled four times. Accumulation
// starts from zero and runs in increasing p, the sum being added to C at
// the end, exactly the order the portable kernel uses. Variants: 1..5 rows
// (the ragged last panel of A), indirect B rows (read through an offset
// table, for convolutions that read patches straight from the padded image)
// and scattered C rows (for the input gradient).
//
// The dot kernel computes a 4x3 tile of C += alpha*A*B^T for operands whose
// rows both run along the reduction, with a variant that reads B through
// row and 8-pixel-group offset tables (the convolution filter gradient).
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
	for rows := mr; rows >= 1; rows-- {
		kernelRows(rows, false, false)
		kernelRows(rows, true, false)
		kernelRows(rows, true, true)
	}
	dot4x3(false)
	dot4x3(true)
	Generate()
}

// kernelRows generates the packed micro-kernel for the first rows rows of
// the tile (kernel6x16 for full tiles, kernel1x16 .. kernel5x16 for the
// ragged last panel of A). With indirect set it generates the variant
// kernelRx16ind that reads the two halves of row p of the B panel from
// b + 4*boff[p] and b2 + 4*boff[p] instead of from a packed panel (the
// convolution forward reads patches straight out of the zero-padded input
// image this way; the halves may come from two image rows); with scatter
// also set, kernelRx16io, which in addition adds row i of the tile to
// c + 4*coff[i] and c2 + 4*coff[i] (the convolution input gradient). All
// compute bit-identical sums.
func kernelRows(rows int, indirect, scatter bool) {
	name := fmt.Sprintf("kernel%dx16", rows)
	lbl := name
	rowsDoc := fmt.Sprintf("C[0:%d, 0:16] += A*B", rows)
	if rows < mr {
		rowsDoc += fmt.Sprintf(" (rows %d..5 of the A panel are ignored)", rows)
	}
	if scatter {
		name += "io"
		lbl = name
		TEXT(name, NOSPLIT, "func(k int, a, b, b2 *float32, boff *int32, c, c2 *float32, coff *int32)")
		Doc(
			name+" computes "+rowsDoc,
			"from a packed 6 x k panel of A and a k x 16 panel of B whose row p",
			"is the 8 floats at b[boff[p]:] followed by the 8 floats at",
			"b2[boff[p]:], where row i of C is the 8 floats at c[coff[i]:]",
			"followed by the 8 floats at c2[coff[i]:]. It requires AVX2 and FMA",
			"and k >= 1.",
		)
	} else if indirect {
		name += "ind"
		lbl = name
		TEXT(name, NOSPLIT, "func(k int, a, b, b2 *float32, boff *int32, c *float32, ldc int)")
		Doc(
			name+" computes "+rowsDoc,
			"from a packed 6 x k panel of A and a k x 16 panel of B whose row p",
			"is the 8 floats at b[boff[p]:] followed by the 8 floats at",
			"b2[boff[p]:], C having row stride ldc elements. It requires AVX2",
			"and FMA and k >= 1.",
		)
	} else {
		TEXT(name, NOSPLIT, "func(k int, a, b, c *float32, ldc int)")
		Doc(
			name+" computes "+rowsDoc,
			"from a packed 6 x k panel of A and a packed k x 16 panel of B, C",
			"having row stride ldc elements. It requires AVX2 and FMA and k >= 1.",
		)
	}
	k := Load(Param("k"), GP64())
	a := Load(Param("a"), GP64())
	b := Load(Param("b"), GP64())
	var b2, boff, off reg.Register
	if indirect || scatter {
		b2 = Load(Param("b2"), GP64())
		boff = Load(Param("boff"), GP64())
		off = GP64()
	}

	Comment(fmt.Sprintf("%d accumulators: acc[i][h] holds C[i, 8h:8h+8].", 2*rows))
	acc := make([][2]reg.VecVirtual, rows)
	for i := range acc {
		for h := range acc[i] {
			acc[i][h] = YMM()
			VXORPS(acc[i][h], acc[i][h], acc[i][h])
		}
	}
	b0, b1 := YMM(), YMM()
	av := [2]reg.VecVirtual{YMM(), YMM()}

	step := func(s int) {
		if indirect {
			MOVLQSX(Mem{Base: boff, Disp: 4 * s}, off)
			VMOVUPS(Mem{Base: b, Index: off, Scale: 4}, b0)
			VMOVUPS(Mem{Base: b2, Index: off, Scale: 4}, b1)
		} else {
			VMOVUPS(Mem{Base: b, Disp: 4 * nr * s}, b0)
			VMOVUPS(Mem{Base: b, Disp: 4*nr*s + 32}, b1)
		}
		for i := 0; i < rows; i++ {
			r := av[i%2]
			VBROADCASTSS(Mem{Base: a, Disp: 4 * (mr*s + i)}, r)
			VFMADD231PS(b0, r, acc[i][0])
			VFMADD231PS(b1, r, acc[i][1])
		}
	}
	advance := func(steps int) {
		ADDQ(Imm(uint64(4*mr*steps)), a)
		if indirect {
			ADDQ(Imm(uint64(4*steps)), boff)
		} else {
			ADDQ(U32(4*nr*steps), b)
		}
	}

	Comment(fmt.Sprintf("Main loop, unrolled %d times.", unroll))
	Label(lbl + "loop4")
	CMPQ(k, Imm(unroll))
	JL(LabelRef(lbl + "tail"))
	for s := 0; s < unroll; s++ {
		step(s)
	}
	advance(unroll)
	SUBQ(Imm(unroll), k)
	JMP(LabelRef(lbl + "loop4"))

	Label(lbl + "tail")
	TESTQ(k, k)
	JZ(LabelRef(lbl + "store"))
	step(0)
	advance(1)
	DECQ(k)
	JMP(LabelRef(lbl + "tail"))

	Label(lbl + "store")
	if scatter {
		Comment("C += acc, row i at c[coff[i]:] and c2[coff[i]:].")
		c := Load(Param("c"), GP64())
		c2 := Load(Param("c2"), GP64())
		coff := Load(Param("coff"), GP64())
		o := GP64()
		for i := 0; i < rows; i++ {
			MOVLQSX(Mem{Base: coff, Disp: 4 * i}, o)
			for h, base := range []reg.Register{c, c2} {
				m := Mem{Base: base, Index: o, Scale: 4}
				VADDPS(m, acc[i][h], acc[i][h])
				VMOVUPS(acc[i][h], m)
			}
		}
	} else {
		Comment("C += acc, row by row.")
		c := Load(Param("c"), GP64())
		ldc := Load(Param("ldc"), GP64())
		SHLQ(Imm(2), ldc) // elements to bytes
		for i := 0; i < rows; i++ {
			if i > 0 {
				ADDQ(ldc, c)
			}
			for h := 0; h < 2; h++ {
				m := Mem{Base: c, Disp: 32 * h}
				VADDPS(m, acc[i][h], acc[i][h])
				VMOVUPS(acc[i][h], m)
			}
		}
	}
	VZEROUPPER()
	RET()
}

// dot4x3 generates the kernel for C += alpha*A*B^T where the rows of A and
// B run along the reduction (both "k-contiguous"): it needs no packing. The
// 4x3 tile of dot products is held in twelve YMM accumulators of 8 partial
// sums each; every step loads 8 values of the three B rows into registers
// and, for each of the four A rows, loads 8 values and issues three fused
// multiply-adds (16 registers in all). At the end each accumulator is
// reduced as ((s0+s4)+(s1+s5)) + ((s2+s6)+(s3+s7)), multiplied by alpha and
// added to C.
func dot4x3(indirect bool) {
	const rows, cols = 4, 3
	lbl := ""
	if indirect {
		lbl = "ind"
		TEXT("dot4x3ind", NOSPLIT, "func(k8 int, a *float32, lda int, b *float32, boff, qoff *int32, c *float32, ldc int, alpha float32)")
		Doc(
			"dot4x3ind computes C[i, j] += alpha * sum_{p < 8*k8} A[i, p]*B[j, p] for",
			"i < 4, j < 3, where A and C are row-major with row strides lda and ldc",
			"elements and B[j, 8s:8s+8] is the 8 floats at b[boff[j]+qoff[s]:].",
			"It requires AVX2 and FMA and k8 >= 1.",
		)
	} else {
		TEXT("dot4x3", NOSPLIT, "func(k8 int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32)")
		Doc(
			"dot4x3 computes C[i, j] += alpha * sum_{p < 8*k8} A[i, p]*B[j, p] for i < 4,",
			"j < 3, with A, B and C row-major with row strides lda, ldb and ldc",
			"elements. It requires AVX2 and FMA and k8 >= 1.",
		)
	}
	k8 := Load(Param("k8"), GP64())
	a := Load(Param("a"), GP64())
	lda := Load(Param("lda"), GP64())
	b := Load(Param("b"), GP64())
	SHLQ(Imm(2), lda)
	var ra [rows]reg.GPVirtual
	for i := range ra {
		ra[i] = GP64()
		if i == 0 {
			MOVQ(a, ra[i])
		} else {
			LEAQ(Mem{Base: ra[i-1], Index: lda, Scale: 1}, ra[i])
		}
	}
	var rb [cols]reg.GPVirtual
	var qoff reg.GPVirtual
	if indirect {
		boff := Load(Param("boff"), GP64())
		qoff = GP64()
		Load(Param("qoff"), qoff)
		for j := range rb {
			rb[j] = GP64()
			MOVLQSX(Mem{Base: boff, Disp: 4 * j}, rb[j])
			LEAQ(Mem{Base: b, Index: rb[j], Scale: 4}, rb[j])
		}
	} else {
		ldb := Load(Param("ldb"), GP64())
		SHLQ(Imm(2), ldb)
		for j := range rb {
			rb[j] = GP64()
			if j == 0 {
				MOVQ(b, rb[j])
			} else {
				LEAQ(Mem{Base: rb[j-1], Index: ldb, Scale: 1}, rb[j])
			}
		}
	}
	end := GP64()
	MOVQ(k8, end)
	SHLQ(Imm(5), end) // bytes of the reduction
	off := GP64()
	XORQ(off, off)
	var q reg.GPVirtual
	if indirect {
		q = GP64()
	}

	var acc [rows][cols]reg.VecVirtual
	for i := range acc {
		for j := range acc[i] {
			acc[i][j] = YMM()
			VXORPS(acc[i][j], acc[i][j], acc[i][j])
		}
	}
	var bv [cols]reg.VecVirtual
	for j := range bv {
		bv[j] = YMM()
	}
	av := YMM()
	step := func(disp int) {
		for j := 0; j < cols; j++ {
			if indirect {
				if j == 0 {
					MOVLQSX(Mem{Base: qoff, Disp: disp / 8}, q)
				}
				VMOVUPS(Mem{Base: rb[j], Index: q, Scale: 4}, bv[j])
			} else {
				VMOVUPS(Mem{Base: rb[j], Index: off, Scale: 1, Disp: disp}, bv[j])
			}
		}
		for i := 0; i < rows; i++ {
			VMOVUPS(Mem{Base: ra[i], Index: off, Scale: 1, Disp: disp}, av)
			for j := 0; j < cols; j++ {
				VFMADD231PS(bv[j], av, acc[i][j])
			}
		}
	}
	Comment("Main loop, 16 values per iteration.")
	last := GP64()
	MOVQ(end, last)
	SUBQ(Imm(32), last)
	Label("dotloop2" + lbl)
	CMPQ(off, last)
	JGE(LabelRef("dottail" + lbl))
	step(0)
	step(32)
	ADDQ(Imm(64), off)
	if indirect {
		ADDQ(Imm(8), qoff)
	}
	JMP(LabelRef("dotloop2" + lbl))
	Label("dottail" + lbl)
	CMPQ(off, end)
	JGE(LabelRef("dotstore" + lbl))
	step(0)

	Label("dotstore" + lbl)
	Comment("C[i, j] += alpha * horizontal sum of acc[i][j].")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(Imm(2), ldc)
	alpha := XMM()
	alphaAddr, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	VMOVSS(alphaAddr.Addr, alpha) // VEX form: no SSE/AVX transition
	t := XMM()
	for i := 0; i < rows; i++ {
		if i > 0 {
			ADDQ(ldc, c)
		}
		for j := 0; j < cols; j++ {
			x := acc[i][j]
			VEXTRACTF128(U8(1), x, t)
			VADDPS(t, x.AsX(), t)
			VHADDPS(t, t, t)
			VHADDPS(t, t, t)
			VMULSS(alpha, t, t)
			m := Mem{Base: c, Disp: 4 * j}
			VADDSS(m, t, t)
			VMOVSS(t, m)
		}
	}
	VZEROUPPER()
	RET()
}
