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

// func nonzeroTableAVX2(x *float32, n int, idx *int32, table *[256][8]int32) int
// Writes the indices i < n with x[i] != 0 (NaN included, -0 excluded) to
// idx in increasing order, without branches on the data (on spike maps
// whether a group of 8 holds a spike is unpredictable, and a branchy scan
// pays a misprediction for it): for each 8 values the mask of x != 0
// selects a row of table (the positions of the mask's set bits, in
// increasing order), which plus the base index is stored at the output
// position (all 8 lanes; the output advances by the number of set bits).
// n is a multiple of 8 and idx has room for n entries. Returns the number
// of indices written.
TEXT ·nonzeroTableAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ idx+16(FP), DI
	MOVQ table+24(FP), R8
	MOVQ DI, R11
	VXORPS Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1           // base index in every lane
	MOVL   $8, AX
	VMOVD  AX, X2
	VPBROADCASTD X2, Y2         // 8 in every lane
	XORQ BX, BX

ntloop:
	CMPQ BX, CX
	JGE  ntdone
	VCMPPS    $4, (SI)(BX*4), Y0, Y3 // x != 0 (unordered: NaN counts)
	VMOVMSKPS Y3, AX
	MOVQ      AX, DX
	SHLQ      $5, AX
	VPADDD    (R8)(AX*1), Y1, Y4
	VMOVDQU   Y4, (DI)
	POPCNTL   DX, DX
	LEAQ      (DI)(DX*4), DI
	VPADDD    Y2, Y1, Y1
	ADDQ      $8, BX
	JMP       ntloop

ntdone:
	SUBQ R11, DI
	SHRQ $2, DI
	MOVQ DI, ret+32(FP)
	VZEROUPPER
	RET
