//go:build amd64 && !purego

#include "textflag.h"

// Constants of 1.0 in eight float32 lanes.
DATA ones<>+0(SB)/8, $0x3f8000003f800000
DATA ones<>+8(SB)/8, $0x3f8000003f800000
DATA ones<>+16(SB)/8, $0x3f8000003f800000
DATA ones<>+24(SB)/8, $0x3f8000003f800000
GLOBL ones<>(SB), RODATA|NOPTR, $32

// func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32) int64
// For 8 lanes at a time: h = v + (x - v)*k; hs = h; s = h >= vth;
// ys = s ? 1 : 0; v = s ? 0 : h; count += popcount(s).
// Separate multiply and add (no FMA): the same rounding as the Go loop.
TEXT ·lifFwdAVX2(SB), NOSPLIT, $0-56
	MOVQ xs+0(FP), SI
	MOVQ hs+8(FP), DI
	MOVQ ys+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS k+40(FP), Y0
	VBROADCASTSS vth+44(FP), Y1
	VMOVUPS ones<>(SB), Y2
	XORQ AX, AX

fwdloop:
	CMPQ CX, $8
	JLT  fwddone
	VMOVUPS (R9), Y3            // v
	VMOVUPS (SI), Y4            // x
	VSUBPS  Y3, Y4, Y4          // x - v
	VMULPS  Y0, Y4, Y4          // (x - v) k
	VADDPS  Y4, Y3, Y4          // h = v + (x - v) k
	VMOVUPS Y4, (DI)
	VCMPPS  $2, Y4, Y1, Y5      // s = vth <= h
	VANDPS  Y2, Y5, Y6          // y = s & 1.0
	VMOVUPS Y6, (R8)
	VANDNPS Y4, Y5, Y7          // v = !s & h
	VMOVUPS Y7, (R9)
	VMOVMSKPS Y5, DX
	POPCNTL DX, DX
	ADDQ DX, AX
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	SUBQ $8, CX
	JMP  fwdloop

fwddone:
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET

// func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32
// For 8 lanes at a time (the Go loop's operations in its order):
//	u = h - vth; z = a u; dh = (ds + reg) (half / (1 + z z))
//	if u < 0: dh += dv
//	vp = hprev >= vth ? 0 : hprev
//	acc += dh (x - vp); dv = dh (1 - k); dxs = dh k
TEXT ·lifBwdAVX2(SB), NOSPLIT, $0-84
	MOVQ hs+0(FP), SI
	MOVQ ds+8(FP), DI
	MOVQ xs+16(FP), R8
	MOVQ hprev+24(FP), R9
	MOVQ dv+32(FP), R10
	MOVQ dxs+40(FP), R11
	MOVQ n+48(FP), CX
	VBROADCASTSS k+56(FP), Y0
	VBROADCASTSS vth+60(FP), Y1
	VBROADCASTSS a+64(FP), Y2
	VBROADCASTSS half+68(FP), Y3
	VBROADCASTSS reg+72(FP), Y4
	VMOVUPS ones<>(SB), Y5
	VSUBPS  Y0, Y5, Y6          // 1 - k
	VXORPS  Y7, Y7, Y7          // zero
	VXORPS  Y15, Y15, Y15       // dk lanes

bwdloop:
	CMPQ CX, $8
	JLT  bwddone
	VMOVUPS (SI), Y8
	VSUBPS  Y1, Y8, Y8          // u = h - vth
	VMULPS  Y8, Y2, Y9          // z = a u
	VMULPS  Y9, Y9, Y9          // z z
	VADDPS  Y5, Y9, Y9          // 1 + z z
	VDIVPS  Y9, Y3, Y9          // half / (1 + z z)
	VMOVUPS (DI), Y10
	VADDPS  Y4, Y10, Y10        // ds + reg
	VMULPS  Y9, Y10, Y10        // dh
	VMOVUPS (R10), Y11          // dv
	VADDPS  Y11, Y10, Y11       // dh + dv
	VCMPPS  $1, Y7, Y8, Y12     // u < 0
	VBLENDVPS Y12, Y11, Y10, Y10 // dh = u < 0 ? dh + dv : dh
	VMOVUPS (R9), Y13           // hprev
	VCMPPS  $2, Y13, Y1, Y14    // vth <= hprev
	VANDNPS Y13, Y14, Y13       // vp
	VMOVUPS (R8), Y14
	VSUBPS  Y13, Y14, Y14       // x - vp
	VMULPS  Y10, Y14, Y14
	VADDPS  Y14, Y15, Y15
	VMULPS  Y6, Y10, Y11
	VMOVUPS Y11, (R10)
	VMULPS  Y0, Y10, Y12
	VMOVUPS Y12, (R11)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	ADDQ $32, R11
	SUBQ $8, CX
	JMP  bwdloop

bwddone:
	// Horizontal sum: (lanes 0-3 + lanes 4-7), then pairwise.
	VEXTRACTF128 $1, Y15, X8
	VADDPS  X8, X15, X15
	VMOVHLPS X15, X8, X8
	VADDPS  X8, X15, X15
	VMOVSHDUP X15, X8
	VADDSS  X8, X15, X15
	VMOVSS  X15, ret+80(FP)
	VZEROUPPER
	RET
