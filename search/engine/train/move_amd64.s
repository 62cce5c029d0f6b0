//go:build amd64 && !purego

#include "textflag.h"
#include "transpose_amd64.h"

// func transposeAVX2(src, dst *float32, rows, cols int)
// dst[c*rows+r] = src[r*cols+c] for r < rows, c < cols; rows and cols are
// multiples of 8. Works on 8x8 blocks held in registers.
TEXT ·transposeAVX2(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ rows+16(FP), AX
	MOVQ cols+24(FP), BX
	MOVQ BX, R8
	SHLQ $2, R8                 // source row stride in bytes
	MOVQ AX, R12
	SHLQ $2, R12                // destination row stride in bytes
	XORQ CX, CX                 // r
rloop:
	CMPQ CX, AX
	JGE  tdone
	XORQ DX, DX                 // c
cloop:
	CMPQ DX, BX
	JGE  rnext
	MOVQ CX, R10
	IMULQ BX, R10
	ADDQ DX, R10
	LEAQ (SI)(R10*4), R10
	VMOVUPS (R10), Y0
	ADDQ R8, R10
	VMOVUPS (R10), Y1
	ADDQ R8, R10
	VMOVUPS (R10), Y2
	ADDQ R8, R10
	VMOVUPS (R10), Y3
	ADDQ R8, R10
	VMOVUPS (R10), Y4
	ADDQ R8, R10
	VMOVUPS (R10), Y5
	ADDQ R8, R10
	VMOVUPS (R10), Y6
	ADDQ R8, R10
	VMOVUPS (R10), Y7
	// 8x8 transpose.
	TRANSPOSE8
	MOVQ DX, R11
	IMULQ AX, R11
	ADDQ CX, R11
	LEAQ (DI)(R11*4), R11
	VMOVUPS Y8, (R11)
	ADDQ R12, R11
	VMOVUPS Y9, (R11)
	ADDQ R12, R11
	VMOVUPS Y10, (R11)
	ADDQ R12, R11
	VMOVUPS Y11, (R11)
	ADDQ R12, R11
	VMOVUPS Y12, (R11)
	ADDQ R12, R11
	VMOVUPS Y13, (R11)
	ADDQ R12, R11
	VMOVUPS Y14, (R11)
	ADDQ R12, R11
	VMOVUPS Y15, (R11)
	ADDQ $8, DX
	JMP  cloop
rnext:
	ADDQ $8, CX
	JMP  rloop
tdone:
	VZEROUPPER
	RET
