//go:build amd64 && !purego

#include "textflag.h"

// func fusedStepAVX2(a, b, v, y *float32, n int, fc *fusedConsts) int64
// fusedStepGo for n elements, n a multiple of 8, eight neurons per
// iteration: x = (a - ca) sca + sha [+ ((b - cb) scb + shb) when b != nil];
// h = v + (x - v) k (IF: v + x); s = vth <= h; y = s ? 1 : 0;
// v = s ? 0 : h; returns the number of spikes. Separate multiplies and adds
// (no FMA): the roundings of the Go loop and of the layers' kernels.
TEXT ·fusedStepAVX2(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DX
	MOVQ v+16(FP), R9
	MOVQ y+24(FP), R8
	MOVQ n+32(FP), CX
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
	MOVL $0x3f800000, BX        // 1.0
	VMOVD BX, X8
	VBROADCASTSS X8, Y8
	XORQ AX, AX

loop:
	CMPQ CX, $8
	JLT  done
	VMOVUPS (SI), Y9
	VSUBPS  Y0, Y9, Y9          // a - ca
	VMULPS  Y1, Y9, Y9          // (a - ca) sca
	VADDPS  Y2, Y9, Y9          // x = (a - ca) sca + sha
	TESTQ   DX, DX
	JZ      nob
	VMOVUPS (DX), Y10
	VSUBPS  Y3, Y10, Y10        // b - cb
	VMULPS  Y4, Y10, Y10        // (b - cb) scb
	VADDPS  Y5, Y10, Y10        // (b - cb) scb + shb
	VADDPS  Y10, Y9, Y9         // x += term b
	ADDQ    $32, DX

nob:
	VMOVUPS (R9), Y11           // v
	TESTL   R11, R11
	JNZ     isif
	VSUBPS  Y11, Y9, Y12        // x - v
	VMULPS  Y6, Y12, Y12        // (x - v) k
	VADDPS  Y12, Y11, Y12       // h = v + (x - v) k
	JMP     fire

isif:
	VADDPS  Y9, Y11, Y12        // h = v + x

fire:
	VCMPPS    $2, Y12, Y7, Y13  // s = vth <= h
	VANDPS    Y8, Y13, Y14      // y = s & 1.0
	VMOVUPS   Y14, (R8)
	VANDNPS   Y12, Y13, Y15     // v = !s & h
	VMOVUPS   Y15, (R9)
	VMOVMSKPS Y13, BX
	POPCNTL   BX, BX
	ADDQ      BX, AX
	ADDQ      $32, SI
	ADDQ      $32, R9
	ADDQ      $32, R8
	SUBQ      $8, CX
	JMP       loop

done:
	MOVQ AX, ret+48(FP)
	VZEROUPPER
	RET
