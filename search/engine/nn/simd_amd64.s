//go:build amd64 && !purego

#include "textflag.h"

// Constants of 1.0 in eight float32 lanes.
DATA ones<>+0(SB)/8, $0x3f8000003f800000
DATA ones<>+8(SB)/8, $0x3f8000003f800000
DATA ones<>+16(SB)/8, $0x3f8000003f800000
DATA ones<>+24(SB)/8, $0x3f8000003f800000
GLOBL ones<>(SB), RODATA|NOPTR, $32

// The four LIF forward kernels share their setup and loop body through these
// macros (registers: SI xs, DI hs, R8 ys, R9 v, CX n, Y0 k, Y1 vth, Y2 1.0,
// AX count, BX non-temporal hs; the affine variants also Y8 c, Y9 sc, Y10 sh; the index
// variants R11 compressTable, R12 idx, Y11 base, Y12 8). Separate multiply and add
// (no FMA): the same rounding as the Go loop. All macros sit before the first TEXT: go vet's
// asmdecl would check a later #define's FP names against the TEXT above it.

// LIF_ARGS loads the pointers, n, k and vth.
#define LIF_ARGS \
	MOVQ xs+0(FP), SI \
	MOVQ hs+8(FP), DI \
	MOVQ ys+16(FP), R8 \
	MOVQ v+24(FP), R9 \
	MOVQ n+32(FP), CX \
	VBROADCASTSS k+40(FP), Y0 \
	VBROADCASTSS vth+44(FP), Y1

// AFF_ARGS loads the affine map c, sc, sh of the Aff variants.
#define AFF_ARGS \
	VBROADCASTSS c+48(FP), Y8 \
	VBROADCASTSS sc+52(FP), Y9 \
	VBROADCASTSS sh+56(FP), Y10

// LIF_INIT loads the 1.0 lanes and clears the count.
#define LIF_INIT \
	VMOVUPS ones<>(SB), Y2 \
	XORQ AX, AX

// LIF_LOAD loads v into Y3 and x into Y4.
#define LIF_LOAD \
	VMOVUPS (R9), Y3 \
	VMOVUPS (SI), Y4

// AFF8 normalises x in Y4: z = ((x - c) sc) + sh, bnAffine's operations.
#define AFF8 \
	VSUBPS  Y8, Y4, Y4 \
	VMULPS  Y9, Y4, Y4 \
	VADDPS  Y10, Y4, Y4

// NT_INIT sets BX to 1 when hs is stored non-temporally (see LIF8): the
// caller asks for it (the frame operand nto, a bool) and hs is 32-byte
// aligned (it stays so: hs advances by 32 bytes).
#define NT_INIT(nto) \
	MOVBQZX nto(FP), BX \
	TESTQ   $31, DI \
	JZ      2(PC) \
	XORQ    BX, BX

// LIF8 is the LIF step on x in Y4: h = v + (x - v) k; hs = h;
// s = vth <= h; ys = s & 1.0; v = !s & h; DX = the spike mask. In training
// the saved membrane potentials hs are not read again until the backward
// pass, long after they have left the caches, so there (BX != 0, NT_INIT)
// they are stored non-temporally: no read for ownership of their cache
// lines and no eviction of the data the next layers read (the kernels end
// with SFENCE). In evaluation hs is a scratch rewritten every step, which
// must stay in the cache.
#define LIF8 \
	VSUBPS  Y3, Y4, Y4 \
	VMULPS  Y0, Y4, Y4 \
	VADDPS  Y4, Y3, Y4 \
	TESTQ   BX, BX \
	JZ      3(PC) \
	VMOVNTPS Y4, (DI) \
	JMP     2(PC) \
	VMOVUPS Y4, (DI) \
	VCMPPS  $2, Y4, Y1, Y5 \
	VANDPS  Y2, Y5, Y6 \
	VMOVUPS Y6, (R8) \
	VANDNPS Y4, Y5, Y7 \
	VMOVUPS Y7, (R9) \
	VMOVMSKPS Y5, DX

// LIF_COUNT adds the number of spikes in the mask DX to AX.
#define LIF_COUNT \
	POPCNTL DX, DX \
	ADDQ DX, AX

// IDX_INIT loads idx (R12) from the frame operand io and compressTable
// (R11), and broadcasts base (operand bo) to Y11 and 8 to Y12; the
// operands are parameters because the kernels' frames differ.
#define IDX_INIT(io, bo) \
	MOVQ io(FP), R12 \
	MOVQ ·compressTable(SB), R11 \
	VPBROADCASTD bo(FP), Y11 \
	MOVL $8, R10 \
	VMOVD R10, X12 \
	VPBROADCASTD X12, Y12

// IDXTAB counts the set bits of the mask DX like LIF_COUNT and writes base+i
// for each, in increasing order, to idx without branching on the data: row
// DX of compressTable (the positions of the mask's set bits) plus the
// block's base is stored whole, 8 lanes, and idx advances by the count (so
// idx must have room for n entries); base += 8.
#define IDXTAB \
	MOVL DX, R10 \
	SHLQ $5, R10 \
	VPADDD (R11)(R10*1), Y11, Y13 \
	VMOVDQU Y13, (R12) \
	POPCNTL DX, DX \
	ADDQ DX, AX \
	LEAQ (R12)(DX*4), R12 \
	VPADDD Y12, Y11, Y11

// LIF_NEXT advances the four pointers by 8 lanes and n by -8.
#define LIF_NEXT \
	ADDQ $32, SI \
	ADDQ $32, DI \
	ADDQ $32, R8 \
	ADDQ $32, R9 \
	SUBQ $8, CX

// The two LIF backward kernels share their setup and the parts of the loop
// body before and after the x operand through these macros (registers: SI
// hs, DI ds, R8 xs, R9 hprev, R10 dv, R11 dxs, CX n, Y0 k, Y1 vth, Y2 a,
// Y3 half, Y4 reg, Y5 1.0, Y6 1 - k, Y7 zero, Y15 the dk lanes).

// BWD_ARGS loads the pointers, n and the scalars, and derives 1 - k and 0.
#define BWD_ARGS \
	MOVQ hs+0(FP), SI \
	MOVQ ds+8(FP), DI \
	MOVQ xs+16(FP), R8 \
	MOVQ hprev+24(FP), R9 \
	MOVQ dv+32(FP), R10 \
	MOVQ dxs+40(FP), R11 \
	MOVQ n+48(FP), CX \
	VBROADCASTSS k+56(FP), Y0 \
	VBROADCASTSS vth+60(FP), Y1 \
	VBROADCASTSS a+64(FP), Y2 \
	VBROADCASTSS half+68(FP), Y3 \
	VBROADCASTSS reg+72(FP), Y4 \
	VMOVUPS ones<>(SB), Y5 \
	VSUBPS  Y0, Y5, Y6 \
	VXORPS  Y7, Y7, Y7

// BWD_A: u = h - vth (Y8); dh = (ds + reg) (half / (1 + (a u)^2)), plus dv
// if u < 0 (Y10); vp = vth <= hprev ? 0 : hprev (Y13); x loaded into Y14.
#define BWD_A \
	VMOVUPS (SI), Y8 \
	VSUBPS  Y1, Y8, Y8 \
	VMULPS  Y8, Y2, Y9 \
	VMULPS  Y9, Y9, Y9 \
	VADDPS  Y5, Y9, Y9 \
	VDIVPS  Y9, Y3, Y9 \
	VMOVUPS (DI), Y10 \
	VADDPS  Y4, Y10, Y10 \
	VMULPS  Y9, Y10, Y10 \
	VMOVUPS (R10), Y11 \
	VADDPS  Y11, Y10, Y11 \
	VCMPPS  $1, Y7, Y8, Y12 \
	VBLENDVPS Y12, Y11, Y10, Y10 \
	VMOVUPS (R9), Y13 \
	VCMPPS  $2, Y13, Y1, Y14 \
	VANDNPS Y13, Y14, Y13 \
	VMOVUPS (R8), Y14

// BWD_B: acc += dh (x - vp) with x in Y14; dv = dh (1 - k); dxs = dh k.
#define BWD_B \
	VSUBPS  Y13, Y14, Y14 \
	VMULPS  Y10, Y14, Y14 \
	VADDPS  Y14, Y15, Y15 \
	VMULPS  Y6, Y10, Y11 \
	VMOVUPS Y11, (R10) \
	VMULPS  Y0, Y10, Y12 \
	VMOVUPS Y12, (R11)

// BWD_HSUM adds the eight dL/dk lanes of Y15 into X15's lane 0:
// (l0+l4 + l2+l6) + (l1+l5 + l3+l7).
#define BWD_HSUM \
	VEXTRACTF128 $1, Y15, X8 \
	VADDPS  X8, X15, X15 \
	VMOVHLPS X15, X8, X8 \
	VADDPS  X8, X15, X15 \
	VMOVSHDUP X15, X8 \
	VADDSS  X8, X15, X15

// BWD_NEXT advances the six pointers by 8 lanes and n by -8.
#define BWD_NEXT \
	ADDQ $32, SI \
	ADDQ $32, DI \
	ADDQ $32, R8 \
	ADDQ $32, R9 \
	ADDQ $32, R10 \
	ADDQ $32, R11 \
	SUBQ $8, CX

// func lifFwdAVX2(xs, hs, ys, v *float32, n int, k, vth float32, nt bool) int64
// For 8 lanes at a time: h = v + (x - v)*k; hs = h; s = h >= vth;
// ys = s ? 1 : 0; v = s ? 0 : h; count += popcount(s).
TEXT ·lifFwdAVX2(SB), NOSPLIT, $0-64
	LIF_ARGS
	NT_INIT(nt+48)
	LIF_INIT

fwdloop:
	CMPQ CX, $8
	JLT  fwddone
	LIF_LOAD
	LIF8
	LIF_COUNT
	LIF_NEXT
	JMP  fwdloop

fwddone:
	MOVQ AX, ret+56(FP)
	SFENCE
	VZEROUPPER
	RET

// func lifBwdAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32) float32
// For 8 lanes at a time (the Go loop's operations in its order):
//	u = h - vth; z = a u; dh = (ds + reg) (half / (1 + z z))
//	if u < 0: dh += dv
//	vp = hprev >= vth ? 0 : hprev
//	acc += dh (x - vp); dv = dh (1 - k); dxs = dh k
TEXT ·lifBwdAVX2(SB), NOSPLIT, $0-84
	BWD_ARGS
	VXORPS  Y15, Y15, Y15       // dk lanes

bwdloop:
	CMPQ CX, $8
	JLT  bwddone
	BWD_A
	BWD_B
	BWD_NEXT
	JMP  bwdloop

bwddone:
	BWD_HSUM
	VMOVSS  X15, ret+80(FP)
	VZEROUPPER
	RET

// func lifFwdAffAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, nt bool) int64
// lifFwdAVX2 on the normalised input z = ((x - c) sc) + sh (bnAffine's
// operations, so the same z bits).
TEXT ·lifFwdAffAVX2(SB), NOSPLIT, $0-72
	LIF_ARGS
	AFF_ARGS
	NT_INIT(nt+60)
	LIF_INIT

fwdloopaff:
	CMPQ CX, $8
	JLT  fwddoneaff
	LIF_LOAD
	AFF8
	LIF8
	LIF_COUNT
	LIF_NEXT
	JMP  fwdloopaff

fwddoneaff:
	MOVQ AX, ret+64(FP)
	SFENCE
	VZEROUPPER
	RET

// func lifFwdAffIdxAVX2(xs, hs, ys, v *float32, n int, k, vth, c, sc, sh float32, idx *int32, base int32, nt bool) int64
// lifFwdAffAVX2 that also writes base+i for every spiking element i (in
// increasing order) to idx (IDXTAB); the number written is the returned
// count.
TEXT ·lifFwdAffIdxAVX2(SB), NOSPLIT, $0-88
	LIF_ARGS
	AFF_ARGS
	NT_INIT(nt+76)
	LIF_INIT
	IDX_INIT(idx+64, base+72)

fwdloopidx:
	CMPQ CX, $8
	JLT  fwddoneidx
	LIF_LOAD
	AFF8
	LIF8
	IDXTAB
	LIF_NEXT
	JMP  fwdloopidx

fwddoneidx:
	MOVQ AX, ret+80(FP)
	SFENCE
	VZEROUPPER
	RET

// func lifFwdIdxAVX2(xs, hs, ys, v *float32, n int, k, vth float32, idx *int32, base int32, nt bool) int64
// lifFwdAVX2 that also writes base+i for every spiking element i (in
// increasing order) to idx (IDXTAB); the number written is the returned
// count.
TEXT ·lifFwdIdxAVX2(SB), NOSPLIT, $0-72
	LIF_ARGS
	NT_INIT(nt+60)
	LIF_INIT
	IDX_INIT(idx+48, base+56)

fwdloopidx2:
	CMPQ CX, $8
	JLT  fwddoneidx2
	LIF_LOAD
	LIF8
	IDXTAB
	LIF_NEXT
	JMP  fwdloopidx2

fwddoneidx2:
	MOVQ AX, ret+64(FP)
	SFENCE
	VZEROUPPER
	RET

// func lifBwdAffAVX2(hs, ds, xs, hprev, dv, dxs *float32, n int, k, vth, a, half, reg float32, r *affRuns) float32
// lifBwdAVX2 on the normalised input z = ((x - c) sc) + sh, channel run by
// channel run as r describes them (r.first elements of channel r.ch, then
// r.inner of each next channel, wrapping at r.nch; each run's c, sc, sh
// from r's arrays), the dL/dk lanes carried across the runs: the sum of one
// lifBwdAVX2 call over the normalised inputs. Runs and n are multiples of 8.
TEXT ·lifBwdAffAVX2(SB), NOSPLIT, $96-92
	BWD_ARGS
	VXORPS  Y15, Y15, Y15       // dk lanes
	MOVQ CX, BX                 // elements left after the current run
	MOVQ r+80(FP), R13
	MOVQ 40(R13), AX            // channel
	MOVQ 48(R13), CX            // first run

bwdrunaff:
	TESTQ BX, BX
	JLE  bwddoneaff
	CMPQ CX, BX
	CMOVQGT BX, CX              // run = min(run, left)
	SUBQ CX, BX
	MOVQ 0(R13), DX
	VBROADCASTSS (DX)(AX*4), Y8
	VMOVUPS Y8, 0(SP)           // c
	MOVQ 8(R13), DX
	VBROADCASTSS (DX)(AX*4), Y8
	VMOVUPS Y8, 32(SP)          // sc
	MOVQ 16(R13), DX
	VBROADCASTSS (DX)(AX*4), Y8
	VMOVUPS Y8, 64(SP)          // sh

bwdloopaff:
	CMPQ CX, $8
	JLT  bwdnextaff
	BWD_A
	VSUBPS  0(SP), Y14, Y14     // z = ((x - c) sc) + sh, as bnAffine
	VMULPS  32(SP), Y14, Y14
	VADDPS  64(SP), Y14, Y14
	BWD_B
	BWD_NEXT
	JMP  bwdloopaff

bwdnextaff:
	INCQ AX                     // next channel, wrapping
	CMPQ AX, 32(R13)
	JLT  2(PC)
	XORQ AX, AX
	MOVQ 24(R13), CX            // a whole run
	JMP  bwdrunaff

bwddoneaff:
	BWD_HSUM
	VMOVSS  X15, ret+88(FP)
	VZEROUPPER
	RET

// LANESUM adds the float64 value of the Go reduction
// float64(s0+s1+s2+s3) + float64(s4+s5+s6+s7) of the eight float32 lanes
// of acc (each half summed left to right, as the Go loops do) to tot.
// T1, T2 are YMM scratch; X1, X2 their XMM halves.
#define LANESUM(acc, T1, T2, X1, X2, tot) \
	VMOVSHDUP acc, T1 \
	VADDPS T1, acc, T2 \
	VPERMILPS $0xAA, acc, T1 \
	VADDPS T1, T2, T2 \
	VPERMILPS $0xFF, acc, T1 \
	VADDPS T1, T2, T2 \
	VEXTRACTF128 $1, T2, X1 \
	VCVTSS2SD X2, X2, X2 \
	VCVTSS2SD X1, X1, X1 \
	VADDSD X1, X2, X2 \
	VADDSD X2, tot, tot

// func sumF32AVX2(v *float32, nblk int) float64
// sumF32 of nblk blocks of 64 values.
TEXT ·sumF32AVX2(SB), NOSPLIT, $0-24
	MOVQ v+0(FP), SI
	MOVQ nblk+8(FP), CX
	VXORPD X0, X0, X0           // total
sumblk:
	TESTQ CX, CX
	JZ   sumdone
	VMOVUPS (SI), Y1
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y1, Y1
	VADDPS 96(SI), Y1, Y1
	VADDPS 128(SI), Y1, Y1
	VADDPS 160(SI), Y1, Y1
	VADDPS 192(SI), Y1, Y1
	VADDPS 224(SI), Y1, Y1
	LANESUM(Y1, Y2, Y3, X2, X3, X0)
	ADDQ $256, SI
	DECQ CX
	JMP  sumblk
sumdone:
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// SQDEV accumulates (v - c)^2 of 8 values at off(SI) into acc (Y4: c).
#define SQDEV(off, acc) \
	VMOVUPS off(SI), Y5 \
	VSUBPS Y4, Y5, Y5 \
	VMULPS Y5, Y5, Y5 \
	VADDPS Y5, acc, acc

// func sumSqDevAVX2(v *float32, nblk int, c float32) float64
// sumSqDevF32 of nblk blocks of 64 values.
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-32
	MOVQ v+0(FP), SI
	MOVQ nblk+8(FP), CX
	VBROADCASTSS c+16(FP), Y4
	VXORPD X0, X0, X0
sqblk:
	TESTQ CX, CX
	JZ   sqdone
	VXORPS Y1, Y1, Y1
	SQDEV(0, Y1)
	SQDEV(32, Y1)
	SQDEV(64, Y1)
	SQDEV(96, Y1)
	SQDEV(128, Y1)
	SQDEV(160, Y1)
	SQDEV(192, Y1)
	SQDEV(224, Y1)
	LANESUM(Y1, Y2, Y3, X2, X3, X0)
	ADDQ $256, SI
	DECQ CX
	JMP  sqblk
sqdone:
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// DOTDEV accumulates g into Y1 and g (x - c) into Y6 for 8 values at
// off(SI) (g) and off(DI) (x); Y4: c.
#define DOTDEV(off) \
	VMOVUPS off(SI), Y5 \
	VADDPS Y5, Y1, Y1 \
	VMOVUPS off(DI), Y7 \
	VSUBPS Y4, Y7, Y7 \
	VMULPS Y7, Y5, Y7 \
	VADDPS Y7, Y6, Y6

// func dotDevAVX2(gs, x *float32, nblk int, c float32) (sg, sgx float64)
// dotDevF32 of nblk blocks of 64 values.
TEXT ·dotDevAVX2(SB), NOSPLIT, $0-48
	MOVQ gs+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nblk+16(FP), CX
	VBROADCASTSS c+24(FP), Y4
	VXORPD X0, X0, X0           // sg
	VXORPD X8, X8, X8           // sgx
dotblk:
	TESTQ CX, CX
	JZ   dotdone
	VXORPS Y1, Y1, Y1
	VXORPS Y6, Y6, Y6
	DOTDEV(0)
	DOTDEV(32)
	DOTDEV(64)
	DOTDEV(96)
	DOTDEV(128)
	DOTDEV(160)
	DOTDEV(192)
	DOTDEV(224)
	LANESUM(Y1, Y2, Y3, X2, X3, X0)
	LANESUM(Y6, Y2, Y3, X2, X3, X8)
	ADDQ $256, SI
	ADDQ $256, DI
	DECQ CX
	JMP  dotblk
dotdone:
	VMOVSD X0, sg+32(FP)
	VMOVSD X8, sgx+40(FP)
	VZEROUPPER
	RET

// func bnAffineAVX2(x, y *float32, n int, c, sc, sh float32)
// y = (x - c) sc + sh for n values, n a multiple of 8.
TEXT ·bnAffineAVX2(SB), NOSPLIT, $0-36
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS c+24(FP), Y0
	VBROADCASTSS sc+28(FP), Y1
	VBROADCASTSS sh+32(FP), Y2
affloop:
	CMPQ CX, $8
	JLT  affdone
	VMOVUPS (SI), Y3
	VSUBPS Y0, Y3, Y3
	VMULPS Y1, Y3, Y3
	VADDPS Y2, Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  affloop
affdone:
	VZEROUPPER
	RET

// func bnBwdAVX2(gs, x, dx *float32, n int, k, p, c, q float32)
// dx = (k g + p (x - c)) + q for n values, n a multiple of 8.
TEXT ·bnBwdAVX2(SB), NOSPLIT, $0-48
	MOVQ gs+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ dx+16(FP), R8
	MOVQ n+24(FP), CX
	VBROADCASTSS k+32(FP), Y0
	VBROADCASTSS p+36(FP), Y1
	VBROADCASTSS c+40(FP), Y2
	VBROADCASTSS q+44(FP), Y3
bbloop:
	CMPQ CX, $8
	JLT  bbdone
	VMOVUPS (SI), Y4
	VMULPS Y0, Y4, Y4           // k g
	VMOVUPS (DI), Y5
	VSUBPS Y2, Y5, Y5           // x - c
	VMULPS Y1, Y5, Y5           // p (x - c)
	VADDPS Y5, Y4, Y4
	VADDPS Y3, Y4, Y4
	VMOVUPS Y4, (R8)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  bbloop
bbdone:
	VZEROUPPER
	RET

// func nonFiniteAVX2(x *float32, n int) bool
// Reports whether any of the n values (n a multiple of 32) is an infinity
// or NaN: x - x is NaN exactly for those, and a NaN survives the sums.
TEXT ·nonFiniteAVX2(SB), NOSPLIT, $0-17
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
nfloop:
	CMPQ CX, $32
	JLT  nfdone
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VSUBPS Y4, Y4, Y4
	VSUBPS Y5, Y5, Y5
	VSUBPS Y6, Y6, Y6
	VSUBPS Y7, Y7, Y7
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  nfloop
nfdone:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VCMPPS $3, Y0, Y0, Y0       // unordered: NaN
	VMOVMSKPS Y0, AX
	TESTL AX, AX
	SETNE ret+16(FP)
	VZEROUPPER
	RET

// Window indices 1, 2, 3 in eight int32 lanes.
DATA idx1<>+0(SB)/8, $0x0000000100000001
DATA idx1<>+8(SB)/8, $0x0000000100000001
DATA idx1<>+16(SB)/8, $0x0000000100000001
DATA idx1<>+24(SB)/8, $0x0000000100000001
GLOBL idx1<>(SB), RODATA|NOPTR, $32
DATA idx2<>+0(SB)/8, $0x0000000200000002
DATA idx2<>+8(SB)/8, $0x0000000200000002
DATA idx2<>+16(SB)/8, $0x0000000200000002
DATA idx2<>+24(SB)/8, $0x0000000200000002
GLOBL idx2<>(SB), RODATA|NOPTR, $32
DATA idx3<>+0(SB)/8, $0x0000000300000003
DATA idx3<>+8(SB)/8, $0x0000000300000003
DATA idx3<>+16(SB)/8, $0x0000000300000003
DATA idx3<>+24(SB)/8, $0x0000000300000003
GLOBL idx3<>(SB), RODATA|NOPTR, $32

// func max2x2AVX2(r0, r1, out *float32, arg *uint8, n int) int64
// For n outputs (n a multiple of 8): out[i] = max of the window
// r0[2i], r0[2i+1], r1[2i], r1[2i+1] with the first maximum winning (a
// later value replaces the best only if greater; NaN never does), arg[i]
// its window index 0..3; returns the number of nonzero outputs.
TEXT ·max2x2AVX2(SB), NOSPLIT, $0-48
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ out+16(FP), R8
	MOVQ arg+24(FP), R9
	MOVQ n+32(FP), CX
	XORQ AX, AX
	VXORPS Y15, Y15, Y15
	VMOVDQU idx1<>(SB), Y12
	VMOVDQU idx2<>(SB), Y13
	VMOVDQU idx3<>(SB), Y14
mploop:
	CMPQ CX, $8
	JLT  mpdone
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2   // even elements, quads 0 2 1 3
	VSHUFPS $0xDD, Y1, Y0, Y3   // odd elements
	VPERMPD $0xD8, Y2, Y2       // (0,0) of windows 0..7
	VPERMPD $0xD8, Y3, Y3       // (0,1)
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VSHUFPS $0x88, Y1, Y0, Y4
	VSHUFPS $0xDD, Y1, Y0, Y5
	VPERMPD $0xD8, Y4, Y4       // (1,0)
	VPERMPD $0xD8, Y5, Y5       // (1,1)
	VPXOR   Y6, Y6, Y6          // arg = 0
	VCMPPS  $0x1E, Y2, Y3, Y7   // (0,1) > best (ordered)
	VBLENDVPS Y7, Y3, Y2, Y2
	VBLENDVPS Y7, Y12, Y6, Y6
	VCMPPS  $0x1E, Y2, Y4, Y7   // (1,0) > best
	VBLENDVPS Y7, Y4, Y2, Y2
	VBLENDVPS Y7, Y13, Y6, Y6
	VCMPPS  $0x1E, Y2, Y5, Y7   // (1,1) > best
	VBLENDVPS Y7, Y5, Y2, Y2
	VBLENDVPS Y7, Y14, Y6, Y6
	VMOVUPS Y2, (R8)
	VEXTRACTI128 $1, Y6, X7
	VPACKSSDW X7, X6, X6        // 8 words
	VPACKUSWB X6, X6, X6        // 8 bytes
	VMOVQ   X6, (R9)
	VCMPPS  $4, Y15, Y2, Y7     // best != 0 (NaN counts)
	VMOVMSKPS Y7, DX
	POPCNTL DX, DX
	ADDQ DX, AX
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, R8
	ADDQ $8, R9
	SUBQ $8, CX
	JMP  mploop
mpdone:
	MOVQ AX, ret+40(FP)
	VZEROUPPER
	RET

// func spikeIdxAVX2(x *float32, n int, idx *int32, base int32) int
// Writes base+i for every i < n (n a multiple of 8) with x[i] != 0 (NaN
// included, -0 excluded) to idx in increasing order and returns their
// number, without branching on the data (IDXTAB on the mask of x != 0; idx
// must have room for n entries).
TEXT ·spikeIdxAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	IDX_INIT(idx+16, base+24)
	VXORPS Y0, Y0, Y0
	XORQ AX, AX
	XORQ BX, BX

sxloop:
	CMPQ BX, CX
	JGE  sxdone
	VCMPPS    $4, (SI)(BX*4), Y0, Y3 // x != 0 (unordered: NaN counts)
	VMOVMSKPS Y3, DX
	IDXTAB
	ADDQ $8, BX
	JMP  sxloop

sxdone:
	MOVQ AX, ret+32(FP)
	VZEROUPPER
	RET

// func addAVX2(a, b, d *float32, n int)
// d[i] = a[i] + b[i] for i < n (n a multiple of 8); d may be a or b.
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ BX, BX
	SHLQ $2, CX
addloop32:
	MOVQ CX, AX
	SUBQ BX, AX
	CMPQ AX, $128
	JLT  addloop8
	VMOVUPS (SI)(BX*1), Y0
	VMOVUPS 32(SI)(BX*1), Y1
	VMOVUPS 64(SI)(BX*1), Y2
	VMOVUPS 96(SI)(BX*1), Y3
	VADDPS (DI)(BX*1), Y0, Y0
	VADDPS 32(DI)(BX*1), Y1, Y1
	VADDPS 64(DI)(BX*1), Y2, Y2
	VADDPS 96(DI)(BX*1), Y3, Y3
	VMOVUPS Y0, (DX)(BX*1)
	VMOVUPS Y1, 32(DX)(BX*1)
	VMOVUPS Y2, 64(DX)(BX*1)
	VMOVUPS Y3, 96(DX)(BX*1)
	ADDQ $128, BX
	JMP  addloop32
addloop8:
	CMPQ BX, CX
	JGE  adddone
	VMOVUPS (SI)(BX*1), Y0
	VADDPS (DI)(BX*1), Y0, Y0
	VMOVUPS Y0, (DX)(BX*1)
	ADDQ $32, BX
	JMP  addloop8
adddone:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, b1, c1, b2, c2, step, bc2s, eps float32)
// adamStep for n values, n a multiple of 8, with the Go loop's float32
// operations in its order (VSQRTPS rounds like float32(math.Sqrt(float64(x)))):
//   m = m*b1 + c1*g; v = v*b2 + (c2*g)*g
//   p = p - step*(m / (sqrt(v)/bc2s + eps))
TEXT ·adamAVX2(SB), NOSPLIT, $0-68
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS c1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS c2+52(FP), Y11
	VBROADCASTSS step+56(FP), Y12
	VBROADCASTSS bc2s+60(FP), Y13
	VBROADCASTSS eps+64(FP), Y14
	XORQ AX, AX
adloop:
	CMPQ AX, CX
	JGE  addone
	VMOVUPS (SI)(AX*4), Y0      // g
	VMULPS (R8)(AX*4), Y8, Y1   // m*b1
	VMULPS Y0, Y9, Y2           // c1*g
	VADDPS Y2, Y1, Y1           // m
	VMOVUPS Y1, (R8)(AX*4)
	VMULPS (R9)(AX*4), Y10, Y3  // v*b2
	VMULPS Y0, Y11, Y4          // c2*g
	VMULPS Y0, Y4, Y4           // (c2*g)*g
	VADDPS Y4, Y3, Y3           // v
	VMOVUPS Y3, (R9)(AX*4)
	VSQRTPS Y3, Y5
	VDIVPS Y13, Y5, Y5          // sqrt(v)/bc2s
	VADDPS Y14, Y5, Y5          // + eps
	VDIVPS Y5, Y1, Y6           // m/denom
	VMULPS Y6, Y12, Y6          // step*(m/denom)
	VMOVUPS (DI)(AX*4), Y7
	VSUBPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)(AX*4)
	ADDQ $8, AX
	JMP  adloop
addone:
	VZEROUPPER
	RET

// func bnAffineAddAVX2(x, a, y *float32, n int, c, sc, sh float32)
// y = ((x - c) sc + sh) + a for n values, n a multiple of 8.
TEXT ·bnAffineAddAVX2(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ a+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS c+32(FP), Y0
	VBROADCASTSS sc+36(FP), Y1
	VBROADCASTSS sh+40(FP), Y2
aaloop:
	CMPQ CX, $8
	JLT  aadone
	VMOVUPS (SI), Y3
	VSUBPS Y0, Y3, Y3
	VMULPS Y1, Y3, Y3
	VADDPS Y2, Y3, Y3
	VADDPS (R8), Y3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  aaloop
aadone:
	VZEROUPPER
	RET

// func maxBwd2x2AVX(gy, gy2 *float32, arg *uint8, dx *float32, rows, ow int)
// The 2x2 stride-2 max-pool backward over rows output rows of ow values
// (ow a multiple of 4), input rows of 2*ow values, all contiguous: four
// windows at a time, s = gy (+ gy2 when gy2 is not nil), and for window i
// with index a = arg[i] the four input values (a == 0, 1 on the top row,
// 2, 3 on the bottom row) are (s if selected, else +0) + 0: the bits of
// clearing dx and adding s at the selected position (a -0 gradient
// becomes +0 either way).
TEXT ·maxBwd2x2AVX(SB), NOSPLIT, $0-48
	MOVQ gy+0(FP), SI
	MOVQ gy2+8(FP), R8
	MOVQ arg+16(FP), DX
	MOVQ dx+24(FP), DI
	MOVQ rows+32(FP), CX
	MOVQ ow+40(FP), BX
	TESTQ CX, CX
	JLE  mbdone
	LEAQ (DI)(BX*8), R9          // bottom row: dx + 2*ow floats
	MOVQ BX, R11
	SHLQ $4, R11                 // 4*ow floats in bytes: one output row's input rows
	VXORPS X7, X7, X7            // +0 and the index 0
	VMOVDQU idx1<>(SB), X8       // window indices 1, 2, 3 (max2x2AVX2's)
	VMOVDQU idx2<>(SB), X9
	VMOVDQU idx3<>(SB), X10

mbrow:
	XORQ AX, AX                  // window in the row
	MOVQ DI, R12
	MOVQ R9, R13

mbloop:
	VMOVUPS (SI)(AX*4), X0
	TESTQ R8, R8
	JZ   mbnog2
	VADDPS (R8)(AX*4), X0, X0
mbnog2:
	VPMOVZXBD (DX)(AX*1), X1
	VPCMPEQD X7, X1, X2
	VPCMPEQD X8, X1, X3
	VPCMPEQD X9, X1, X4
	VPCMPEQD X10, X1, X5
	VANDPS  X0, X2, X2
	VANDPS  X0, X3, X3
	VANDPS  X0, X4, X4
	VANDPS  X0, X5, X5
	VADDPS  X7, X2, X2
	VADDPS  X7, X3, X3
	VADDPS  X7, X4, X4
	VADDPS  X7, X5, X5
	VUNPCKLPS X3, X2, X6
	VMOVUPS X6, (R12)
	VUNPCKHPS X3, X2, X6
	VMOVUPS X6, 16(R12)
	VUNPCKLPS X5, X4, X6
	VMOVUPS X6, (R13)
	VUNPCKHPS X5, X4, X6
	VMOVUPS X6, 16(R13)
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $4, AX
	CMPQ AX, BX
	JLT  mbloop

	LEAQ (SI)(BX*4), SI
	TESTQ R8, R8
	JZ   mbnext
	LEAQ (R8)(BX*4), R8
mbnext:
	ADDQ BX, DX
	ADDQ R11, DI
	ADDQ R11, R9
	DECQ CX
	JNZ  mbrow

mbdone:
	RET
