//go:build amd64 && !purego

#include "textflag.h"

// Field offsets of pixArgs (pixevents_amd64.go).
#define P_MASKS 0
#define P_NPIX 8
#define P_A 16
#define P_B 24
#define P_LIST 32
#define P_W 40
#define P_K 48
#define P_PAD 56
#define P_OH 64
#define P_OW 72
#define P_COUT 80
#define P_CISTRIDE 88
#define P_MW 96

// func pixEventsAVX2(p *pixArgs)
// The pixel-grouped event loop of spikeConv.pixEvents for one image of
// binary inputs: for every input pixel p (row-major) whose channel mask
// masks[p] is not zero, and every kernel row kh that reaches an output row,
// the output row segment b[boff + r*bstride : +len] is loaded into
// registers in blocks of up to 10 vectors, the reversed filter rows
// a[ci*cistride + aoff + r*astride : +len] of the channels ci set in the
// mask are added in increasing ci, and the block is stored: the geometry of
// spikeEventsAVX2 (aoff, boff, astride = K*Cout, bstride = -OW*Cout, len =
// (c1-c0+1)*Cout floats) and the additions of pixEventsGo (same order, same
// bits). list holds 64 byte offsets (scratch).
TEXT ·pixEventsAVX2(SB), NOSPLIT, $0-8
	MOVQ p+0(FP), R15
	MOVQ P_NPIX(R15), R14
	TESTQ R14, R14
	JLE  pxdone
	MOVQ P_MASKS(R15), R13
	MOVQ P_LIST(R15), R11

pxloop:
	MOVQ (R13), AX               // mask
	TESTQ AX, AX
	JZ   pxnext
	// Byte offsets of the set channels' filters, in increasing ci.
	XORQ R12, R12
pxbits:
	BSFQ AX, CX
	LEAQ -1(AX), DX
	ANDQ DX, AX
	IMULQ P_CISTRIDE(R15), CX
	MOVQ CX, (R11)(R12*8)
	INCQ R12
	TESTQ AX, AX
	JNZ  pxbits
	// p = (R13 - masks)/8; h = p*mW >> 40; w = p - h*W
	MOVQ R13, SI
	SUBQ P_MASKS(R15), SI
	SHRQ $3, SI
	MOVQ SI, DX
	IMULQ P_MW(R15), DX
	SHRQ $40, DX                 // h
	MOVQ DX, AX
	IMULQ P_W(R15), AX
	SUBQ AX, SI                  // w
	// owLo = w + pad - (K-1); c0 = max(owLo, 0); c1 = min(w+pad, OW-1)
	ADDQ P_PAD(R15), SI          // w + pad
	MOVQ SI, DI
	SUBQ P_K(R15), DI
	INCQ DI                      // owLo
	XORQ R8, R8
	CMPQ DI, $0
	CMOVQGT DI, R8               // c0
	MOVQ P_OW(R15), R9
	DECQ R9                      // OW-1
	CMPQ SI, R9
	CMOVQLT SI, R9               // c1
	CMPQ R8, R9
	JGT  pxnext
	// khLo = max(0, h+pad-OH+1); khHi = min(K-1, h+pad)
	ADDQ P_PAD(R15), DX          // h + pad
	MOVQ DX, AX
	SUBQ P_OH(R15), AX
	INCQ AX
	XORQ BX, BX
	CMPQ AX, $0
	CMOVQGT AX, BX               // khLo
	MOVQ P_K(R15), R10
	DECQ R10                     // K-1
	CMPQ DX, R10
	CMOVQLT DX, R10              // khHi
	CMPQ BX, R10
	JGT  pxnext
	SUBQ BX, R10
	INCQ R10                     // rows
	// len bytes = (c1-c0+1)*Cout*4 -> R9
	SUBQ R8, R9
	INCQ R9
	IMULQ P_COUT(R15), R9
	SHLQ $2, R9
	// boff = ((h+pad-khLo)*OW + c0)*Cout -> DX (pointer)
	SUBQ BX, DX                  // o
	IMULQ P_OW(R15), DX
	ADDQ R8, DX
	IMULQ P_COUT(R15), DX
	MOVQ P_B(R15), AX
	LEAQ (AX)(DX*4), DX          // b row pointer
	// aoff = (khLo*K + (c0 - owLo))*Cout -> CX (pointer, channel 0)
	MOVQ BX, CX
	IMULQ P_K(R15), CX
	SUBQ DI, R8                  // c0 - owLo
	ADDQ R8, CX
	IMULQ P_COUT(R15), CX
	MOVQ P_A(R15), AX
	LEAQ (AX)(CX*4), CX          // a row pointer

pxrow:
	XORQ BX, BX
pxb10:
	MOVQ R9, AX
	SUBQ BX, AX
	CMPQ AX, $320
	JLT  pxb4
	LEAQ (DX)(BX*1), R8           // output block
	LEAQ (CX)(BX*1), AX           // filter block, channel 0
	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS 64(R8), Y2
	VMOVUPS 96(R8), Y3
	VMOVUPS 128(R8), Y4
	VMOVUPS 160(R8), Y5
	VMOVUPS 192(R8), Y6
	VMOVUPS 224(R8), Y7
	VMOVUPS 256(R8), Y8
	VMOVUPS 288(R8), Y9
	XORQ DI, DI
pxb10ch:
	MOVQ (R11)(DI*8), SI
	ADDQ AX, SI
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	VADDPS 128(SI), Y4, Y4
	VADDPS 160(SI), Y5, Y5
	VADDPS 192(SI), Y6, Y6
	VADDPS 224(SI), Y7, Y7
	VADDPS 256(SI), Y8, Y8
	VADDPS 288(SI), Y9, Y9
	INCQ DI
	CMPQ DI, R12
	JLT  pxb10ch
	VMOVUPS Y0, 0(R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, 64(R8)
	VMOVUPS Y3, 96(R8)
	VMOVUPS Y4, 128(R8)
	VMOVUPS Y5, 160(R8)
	VMOVUPS Y6, 192(R8)
	VMOVUPS Y7, 224(R8)
	VMOVUPS Y8, 256(R8)
	VMOVUPS Y9, 288(R8)
	ADDQ $320, BX
	JMP  pxb10
pxb4:
	MOVQ R9, AX
	SUBQ BX, AX
	CMPQ AX, $128
	JLT  pxb2
	LEAQ (DX)(BX*1), R8           // output block
	LEAQ (CX)(BX*1), AX           // filter block, channel 0
	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS 64(R8), Y2
	VMOVUPS 96(R8), Y3
	XORQ DI, DI
pxb4ch:
	MOVQ (R11)(DI*8), SI
	ADDQ AX, SI
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	INCQ DI
	CMPQ DI, R12
	JLT  pxb4ch
	VMOVUPS Y0, 0(R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, 64(R8)
	VMOVUPS Y3, 96(R8)
	ADDQ $128, BX
	JMP  pxb4
pxb2:
	MOVQ R9, AX
	SUBQ BX, AX
	CMPQ AX, $64
	JLT  pxb1
	LEAQ (DX)(BX*1), R8           // output block
	LEAQ (CX)(BX*1), AX           // filter block, channel 0
	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	XORQ DI, DI
pxb2ch:
	MOVQ (R11)(DI*8), SI
	ADDQ AX, SI
	VADDPS 0(SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	INCQ DI
	CMPQ DI, R12
	JLT  pxb2ch
	VMOVUPS Y0, 0(R8)
	VMOVUPS Y1, 32(R8)
	ADDQ $64, BX
	JMP  pxb2
pxb1:
	MOVQ R9, AX
	SUBQ BX, AX
	CMPQ AX, $32
	JLT  pxrownext
	LEAQ (DX)(BX*1), R8           // output block
	LEAQ (CX)(BX*1), AX           // filter block, channel 0
	VMOVUPS 0(R8), Y0
	XORQ DI, DI
pxb1ch:
	MOVQ (R11)(DI*8), SI
	ADDQ AX, SI
	VADDPS 0(SI), Y0, Y0
	INCQ DI
	CMPQ DI, R12
	JLT  pxb1ch
	VMOVUPS Y0, 0(R8)
	ADDQ $32, BX
	JMP  pxb1
pxrownext:
	MOVQ P_K(R15), AX
	IMULQ P_COUT(R15), AX
	LEAQ (CX)(AX*4), CX          // next kernel row: a + K*Cout
	MOVQ P_OW(R15), AX
	IMULQ P_COUT(R15), AX
	SHLQ $2, AX
	SUBQ AX, DX                  // previous output row: b - OW*Cout
	DECQ R10
	JNZ  pxrow

pxnext:
	ADDQ $8, R13
	DECQ R14
	JNZ  pxloop

pxdone:
	VZEROUPPER
	RET
