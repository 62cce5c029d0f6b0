//go:build amd64 && !purego

#include "textflag.h"

// func axpyAVX2(a float32, x, y *float32, n int)
// y[i] += a*x[i] for i < n, with AVX2 FMA, 32 then 8 floats per iteration.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX

loop32:
	CMPQ CX, $32
	JLT  loop8
	VMOVUPS (DI), Y1
	VMOVUPS 32(DI), Y2
	VMOVUPS 64(DI), Y3
	VMOVUPS 96(DI), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JLT  tail
	VMOVUPS (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8

tail:
	CMPQ CX, $0
	JEQ  done
	VMOVSS (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	RET

// func axpyRowsAVX2(a float32, x, y *float32, n, rows, xstride, ystride int)
// For r < rows: y[r*ystride+i] += a*x[r*xstride+i] for i < n (strides in
// floats, possibly negative).
TEXT ·axpyRowsAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), R8
	MOVQ y+16(FP), R9
	MOVQ n+24(FP), R10
	MOVQ rows+32(FP), R11
	MOVQ xstride+40(FP), R12
	MOVQ ystride+48(FP), R13
	SHLQ $2, R12
	SHLQ $2, R13

row:
	CMPQ R11, $0
	JEQ  rdone
	MOVQ R8, SI
	MOVQ R9, DI
	MOVQ R10, CX

r32:
	CMPQ CX, $32
	JLT  r8
	VMOVUPS (DI), Y1
	VMOVUPS 32(DI), Y2
	VMOVUPS 64(DI), Y3
	VMOVUPS 96(DI), Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VFMADD231PS 64(SI), Y0, Y3
	VFMADD231PS 96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  r32

r8:
	CMPQ CX, $8
	JLT  r1
	VMOVUPS (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  r8

r1:
	CMPQ CX, $0
	JEQ  rnext
	VMOVSS (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  r1

rnext:
	ADDQ R12, R8
	ADDQ R13, R9
	DECQ R11
	JMP  row

rdone:
	VZEROUPPER
	RET
