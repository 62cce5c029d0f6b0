//go:build amd64 && !purego

#include "textflag.h"

// Register use of the loops below (BX is the byte offset into every row):
//	SI a, DX b, R9 v, R8 y, R12 end offset (n*4)
//	Y0..Y2 ca, sca, sha; Y3..Y5 cb, scb, shb; Y6 k; Y7 vth; Y8 1.0
//	Y10 per-lane spike count (subtracts the compare mask, -1 per spike)

// TERMA: Y9 = (a - ca) sca + sha.
#define TERMA \
	VMOVUPS (SI)(BX*1), Y9 \
	VSUBPS  Y0, Y9, Y9     \
	VMULPS  Y1, Y9, Y9     \
	VADDPS  Y2, Y9, Y9

// TERMB: Y9 += (b - cb) scb + shb.
#define TERMB \
	VMOVUPS (DX)(BX*1), Y11 \
	VSUBPS  Y3, Y11, Y11    \
	VMULPS  Y4, Y11, Y11    \
	VADDPS  Y5, Y11, Y11    \
	VADDPS  Y11, Y9, Y9

// LEAK: Y12 = h = v + (x - v) k, Y11 = v.
#define LEAK \
	VMOVUPS (R9)(BX*1), Y11 \
	VSUBPS  Y11, Y9, Y12    \
	VMULPS  Y6, Y12, Y12    \
	VADDPS  Y12, Y11, Y12

// NOLEAK: Y12 = h = v + x (IF).
#define NOLEAK \
	VMOVUPS (R9)(BX*1), Y11 \
	VADDPS  Y9, Y11, Y12

// FIRE: s = vth <= h; y = s & 1; v = !s & h; count.
#define FIRE \
	VCMPPS  $2, Y12, Y7, Y13   \
	VANDPS  Y8, Y13, Y14       \
	VMOVUPS Y14, (R8)(BX*1)    \
	VANDNPS Y12, Y13, Y15      \
	VMOVUPS Y15, (R9)(BX*1)    \
	VPSUBD  Y13, Y10, Y10      \
	ADDQ    $32, BX

// func fusedStepAVX2(a, b, v, y *float32, n int, fc *fusedConsts) int64
// fusedStepGo for n elements, n a multiple of 8, eight neurons per
// iteration: x = (a - ca) sca + sha [+ ((b - cb) scb + shb) when b != nil];
// h = v + (x - v) k (IF: v + x); s = vth <= h; y = s ? 1 : 0;
// v = s ? 0 : h; returns the number of spikes. Separate multiplies and adds
// (no FMA): the roundings of the Go loop and of the layers' kernels. One
// loop per combination (one or two terms, leaky or IF), no branch inside.
TEXT ·fusedStepAVX2(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ v+16(FP), R9
	MOVQ y+24(FP), R8
	MOVQ n+32(FP), R12
	SHLQ $2, R12
	MOVQ fc+40(FP), R10
	VBROADCASTSS 0(R10), Y0     // ca
	VBROADCASTSS 4(R10), Y1     // sca
	VBROADCASTSS 8(R10), Y2     // sha
	VBROADCASTSS 12(R10), Y3    // cb
	VBROADCASTSS 16(R10), Y4    // scb
	VBROADCASTSS 20(R10), Y5    // shb
	VBROADCASTSS 24(R10), Y6    // k
	VBROADCASTSS 28(R10), Y7    // vth
	MOVL 32(R10), R11           // isIF
	MOVL $0x3f800000, AX        // 1.0
	VMOVD AX, X8
	VBROADCASTSS X8, Y8
	VPXOR Y10, Y10, Y10
	XORQ BX, BX
	TESTQ R12, R12
	JZ   done
	TESTQ DX, DX
	JNZ  two
	TESTL R11, R11
	JNZ  loop1if

loop1:
	TERMA
	LEAK
	FIRE
	CMPQ BX, R12
	JLT  loop1
	JMP  done

loop1if:
	TERMA
	NOLEAK
	FIRE
	CMPQ BX, R12
	JLT  loop1if
	JMP  done

two:
	TESTL R11, R11
	JNZ  loop2if

loop2:
	TERMA
	TERMB
	LEAK
	FIRE
	CMPQ BX, R12
	JLT  loop2
	JMP  done

loop2if:
	TERMA
	TERMB
	NOLEAK
	FIRE
	CMPQ BX, R12
	JLT  loop2if

done:
	// Horizontal sum of the eight lane counts.
	VEXTRACTI128 $1, Y10, X11
	VPADDD  X11, X10, X10
	VPSHUFD $0x4e, X10, X11
	VPADDD  X11, X10, X10
	VPSHUFD $0xb1, X10, X11
	VPADDD  X11, X10, X10
	VMOVD   X10, AX
	MOVLQZX AX, AX
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

// func maxPool2x2AVX2(in, out *float32, q, w int) int64
// 2x2 stride-2 max-pool of q row pairs of width w (w a multiple of 16, or
// w = 8 with q even): out[r*w/2 + j] = max of in rows 2r, 2r+1, columns
// 2j, 2j+1. Returns the number of nonzero outputs. VMAXPS agrees with the
// first-maximum loop of nn.MaxPool2d on inputs without NaN and -0 (spike
// maps: +0 and 1).
TEXT ·maxPool2x2AVX2(SB), NOSPLIT, $0-40
	MOVQ in+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ q+16(FP), CX
	MOVQ w+24(FP), DX
	MOVQ DX, R8
	SHLQ $2, R8                 // row bytes
	VXORPS Y15, Y15, Y15
	VPXOR  Y14, Y14, Y14
	CMPQ DX, $8
	JEQ  w8

rows:
	TESTQ CX, CX
	JZ    pdone
	LEAQ  (SI)(R8*1), R9        // row 2r+1
	XORQ  BX, BX
cols:
	VMOVUPS (SI)(BX*1), Y0
	VMOVUPS 32(SI)(BX*1), Y1
	VMAXPS  (R9)(BX*1), Y0, Y0
	VMAXPS  32(R9)(BX*1), Y1, Y1
	VSHUFPS $0x88, Y1, Y0, Y2   // even columns
	VSHUFPS $0xdd, Y1, Y0, Y3   // odd columns
	VMAXPS  Y3, Y2, Y2
	VPERMPD $0xd8, Y2, Y2       // lane order o0..o7
	VMOVUPS Y2, (DI)
	VCMPPS  $4, Y15, Y2, Y4     // != 0
	VPSUBD  Y4, Y14, Y14
	ADDQ    $32, DI
	ADDQ    $64, BX
	CMPQ    BX, R8
	JLT     cols
	LEAQ    (R9)(R8*1), SI      // next row pair
	DECQ    CX
	JMP     rows

w8:
	CMPQ CX, $2
	JLT  pdone
	VMOVUPS (SI), Y0
	VMOVUPS 64(SI), Y1
	VMAXPS  32(SI), Y0, Y0
	VMAXPS  96(SI), Y1, Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VSHUFPS $0xdd, Y1, Y0, Y3
	VMAXPS  Y3, Y2, Y2
	VPERMPD $0xd8, Y2, Y2
	VMOVUPS Y2, (DI)
	VCMPPS  $4, Y15, Y2, Y4
	VPSUBD  Y4, Y14, Y14
	ADDQ    $32, DI
	ADDQ    $128, SI
	SUBQ    $2, CX
	JMP     w8

pdone:
	VEXTRACTI128 $1, Y14, X13
	VPADDD  X13, X14, X14
	VPSHUFD $0x4e, X14, X13
	VPADDD  X13, X14, X14
	VPSHUFD $0xb1, X14, X13
	VPADDD  X13, X14, X14
	VMOVD   X14, AX
	MOVLQZX AX, AX
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET
