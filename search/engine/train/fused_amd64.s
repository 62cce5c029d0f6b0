//go:build amd64 && !purego

#include "textflag.h"
#include "transpose_amd64.h"
#include "eventparams_amd64.h"

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

// Step of 8 neurons of one channel (constants in Y0..Y8, count in Y10):
// a at off(AX) (the transposed block row), b and y at off(DX|R8)(R15*1),
// v at off(R9) (R9 follows v's own padded rows).
#define HSTEP_A(off) \
	VMOVUPS off(AX), Y9  \
	VSUBPS  Y0, Y9, Y9   \
	VMULPS  Y1, Y9, Y9   \
	VADDPS  Y2, Y9, Y9

#define HSTEP_B(off) \
	VMOVUPS off(DX)(R15*1), Y11 \
	VSUBPS  Y3, Y11, Y11        \
	VMULPS  Y4, Y11, Y11        \
	VADDPS  Y5, Y11, Y11        \
	VADDPS  Y11, Y9, Y9

#define HSTEP_LEAK(off) \
	VMOVUPS off(R9), Y11 \
	VSUBPS  Y11, Y9, Y12        \
	VMULPS  Y6, Y12, Y12        \
	VADDPS  Y12, Y11, Y12

#define HSTEP_IF(off) \
	VMOVUPS off(R9), Y11 \
	VADDPS  Y9, Y11, Y12

#define HSTEP_FIRE(off) \
	VCMPPS  $2, Y12, Y7, Y13     \
	VANDPS  Y8, Y13, Y14         \
	VMOVUPS Y14, off(R8)(R15*1)  \
	VANDNPS Y12, Y13, Y15        \
	VMOVUPS Y15, off(R9)         \
	VPSUBD  Y13, Y10, Y10

#define HROW1(off) HSTEP_A(off); HSTEP_LEAK(off); HSTEP_FIRE(off)
#define HROW1IF(off) HSTEP_A(off); HSTEP_IF(off); HSTEP_FIRE(off)
#define HROW2(off) HSTEP_A(off); HSTEP_B(off); HSTEP_LEAK(off); HSTEP_FIRE(off)
#define HROW2IF(off) HSTEP_A(off); HSTEP_B(off); HSTEP_IF(off); HSTEP_FIRE(off)

// func fusedHWCAVX2(hwc, tmp, b, v, y *float32, plane, cout, vstride int, fc *fusedConsts) int64
// The fused step of fusedStepGo for every channel of one image-step whose
// term a is still in HWC order (hwc: plane pixels x cout channels; plane a
// multiple of 64, cout of 8). Strips of 64 pixels x 8 channels of hwc are
// transposed in registers (8x8 blocks) into tmp (520 floats: 8 channel rows
// of 64, then the spike count lanes) and cleared in hwc, which is left all
// zero for the next image; each channel row then gets the step of its
// channel (constants fc[ch], 40 bytes apart; b and y are CHW rows of plane
// values, v rows of vstride floats; all read and written 64 contiguous
// values at a time). v's rows are padded so that they are not 4 KB apart:
// a load of one channel's v aliasing a just-stored value of the previous
// channel at the same address modulo 4 KB stalls. tmp also holds v's base
// and row stride (bytes) at 2080 and 2088.
TEXT ·fusedHWCAVX2(SB), NOSPLIT, $0-80
	MOVQ hwc+0(FP), SI
	MOVQ tmp+8(FP), DI
	MOVQ b+16(FP), DX
	MOVQ v+24(FP), R9
	MOVQ y+32(FP), R8
	MOVQ plane+40(FP), R11
	MOVQ cout+48(FP), R12
	MOVQ vstride+56(FP), AX
	MOVQ fc+64(FP), R10
	SHLQ $2, R11                // channel row stride (bytes)
	SHLQ $2, R12                // pixel stride in hwc (bytes)
	SHLQ $2, AX
	MOVQ AX, 2088(DI)           // v row stride (bytes)
	MOVQ R9, 2080(DI)           // v base
	VPXOR   Y10, Y10, Y10
	VMOVDQU Y10, 2048(DI)       // spike count lanes
	XORQ R13, R13               // strip offset p0 within a row (bytes)

hstrip:
	CMPQ R13, R11
	JGE  hdone
	MOVQ R10, R14               // constants of channel 0
	MOVQ R13, R15               // CHW offset of channel 0, pixel p0
	MOVQ 2080(DI), R9
	ADDQ R13, R9                // v of channel 0, pixel p0
	XORQ CX, CX                 // channel group offset in a pixel (bytes)

hgrp:
	LEAQ (SI)(CX*1), BX         // block 0 of the strip, channel group CX
	XORQ AX, AX                 // block offset in a tmp row (bytes)

hblock:
	VXORPS  Y8, Y8, Y8
	VMOVUPS (BX), Y0
	VMOVUPS Y8, (BX)
	VMOVUPS (BX)(R12*1), Y1
	VMOVUPS Y8, (BX)(R12*1)
	VMOVUPS (BX)(R12*2), Y2
	VMOVUPS Y8, (BX)(R12*2)
	LEAQ    (BX)(R12*2), BX
	VMOVUPS (BX)(R12*1), Y3
	VMOVUPS Y8, (BX)(R12*1)
	LEAQ    (BX)(R12*2), BX
	VMOVUPS (BX), Y4
	VMOVUPS Y8, (BX)
	VMOVUPS (BX)(R12*1), Y5
	VMOVUPS Y8, (BX)(R12*1)
	VMOVUPS (BX)(R12*2), Y6
	VMOVUPS Y8, (BX)(R12*2)
	LEAQ    (BX)(R12*2), BX
	VMOVUPS (BX)(R12*1), Y7
	VMOVUPS Y8, (BX)(R12*1)
	LEAQ    (BX)(R12*2), BX     // next block (8 pixels on)
	// 8x8 transpose: rows (pixels) Y0..Y7 -> columns (channels) Y8..Y15.
	TRANSPOSE8
	VMOVUPS Y8, (DI)(AX*1)
	VMOVUPS Y9, 256(DI)(AX*1)
	VMOVUPS Y10, 512(DI)(AX*1)
	VMOVUPS Y11, 768(DI)(AX*1)
	VMOVUPS Y12, 1024(DI)(AX*1)
	VMOVUPS Y13, 1280(DI)(AX*1)
	VMOVUPS Y14, 1536(DI)(AX*1)
	VMOVUPS Y15, 1792(DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, $256
	JLT     hblock

	// Per channel of the group: 64 pixels each.
	VBROADCASTSS 24(R10), Y6    // k
	VBROADCASTSS 28(R10), Y7    // vth
	MOVL $0x3f800000, BX        // 1.0
	VMOVD BX, X8
	VBROADCASTSS X8, Y8
	VMOVDQU 2048(DI), Y10
	MOVQ DI, AX                 // channel row of tmp

hchan:
	VBROADCASTSS 0(R14), Y0
	VBROADCASTSS 4(R14), Y1
	VBROADCASTSS 8(R14), Y2
	CMPL    32(R14), $0
	JNE     hchanif
	TESTQ   DX, DX
	JNZ     hchan2
	HROW1(0); HROW1(32); HROW1(64); HROW1(96)
	HROW1(128); HROW1(160); HROW1(192); HROW1(224)
	JMP     hnext

hchan2:
	VBROADCASTSS 12(R14), Y3
	VBROADCASTSS 16(R14), Y4
	VBROADCASTSS 20(R14), Y5
	HROW2(0); HROW2(32); HROW2(64); HROW2(96)
	HROW2(128); HROW2(160); HROW2(192); HROW2(224)
	JMP     hnext

hchanif:
	TESTQ   DX, DX
	JNZ     hchan2if
	HROW1IF(0); HROW1IF(32); HROW1IF(64); HROW1IF(96)
	HROW1IF(128); HROW1IF(160); HROW1IF(192); HROW1IF(224)
	JMP     hnext

hchan2if:
	VBROADCASTSS 12(R14), Y3
	VBROADCASTSS 16(R14), Y4
	VBROADCASTSS 20(R14), Y5
	HROW2IF(0); HROW2IF(32); HROW2IF(64); HROW2IF(96)
	HROW2IF(128); HROW2IF(160); HROW2IF(192); HROW2IF(224)

hnext:
	ADDQ    $40, R14
	ADDQ    R11, R15
	ADDQ    2088(DI), R9
	ADDQ    $256, AX
	LEAQ    2048(DI), BX
	CMPQ    AX, BX
	JLT     hchan
	VMOVDQU Y10, 2048(DI)
	ADDQ    $32, CX
	CMPQ    CX, R12
	JLT     hgrp
	MOVQ    R12, BX
	SHLQ    $6, BX
	ADDQ    BX, SI              // next strip (64 pixels on)
	ADDQ    $256, R13
	JMP     hstrip

hdone:
	VMOVDQU 2048(DI), Y10
	VEXTRACTI128 $1, Y10, X11
	VPADDD  X11, X10, X10
	VPSHUFD $0x4e, X10, X11
	VPADDD  X11, X10, X10
	VPSHUFD $0xb1, X10, X11
	VPADDD  X11, X10, X10
	VMOVD   X10, AX
	MOVLQZX AX, AX
	MOVQ AX, ret+72(FP)
	VZEROUPPER
	RET

// func convEventsTabAVX2(idx *int32, nidx int, xn, wrev, hwc *float32, tab *pixEntry, p *eventParams)
// The forward event loop of spikeConv.events in one call, with the
// per-pixel work precomputed: for every listed input i (index in CHW
// order) with value v = xn[i], tab[r] (r the pixel of i within its channel
// plane) holds the output offset, the filter offset within a channel, the
// row length and the number of kernel rows (0: the spike reaches no
// output). Only the channel ci = i / plane is computed per event, with the
// multiply-shift divider. It adds v times the reversed filter rows to the
// HWC output rows with the FMA of axpyRowsAVX2: the same rows, FMAs and
// order as eventsGo. cout is a multiple of 8.
TEXT ·convEventsTabAVX2(SB), NOSPLIT, $0-56
	MOVQ idx+0(FP), SI
	MOVQ nidx+8(FP), CX
	MOVQ xn+16(FP), R8
	MOVQ wrev+24(FP), R9
	MOVQ hwc+32(FP), DI
	MOVQ tab+40(FP), R12
	MOVQ p+48(FP), R10
	LEAQ (SI)(CX*4), CX         // end of idx

tev:
	CMPQ SI, CX
	JGE  tevdone
	MOVLQSX (SI), AX            // i
	ADDQ    $4, SI
	VBROADCASTSS (R8)(AX*4), Y0 // v
	MOVQ  AX, BX
	IMULQ EP_MPLANE(R10), BX
	SHRQ  $40, BX               // ci = i / plane
	MOVQ  BX, DX
	IMULQ EP_PLANE(R10), DX
	SUBQ  DX, AX                // r = i - ci*plane
	SHLQ  $4, AX
	ADDQ  R12, AX               // &tab[r]
	MOVL  12(AX), R11           // rows
	TESTL R11, R11
	JZ    tev
	MOVLQSX 8(AX), R14          // row length (bytes)
	MOVLQSX 0(AX), R15          // output offset (bytes)
	ADDQ  DI, R15
	MOVLQSX 4(AX), DX           // filter offset within the channel (bytes)
	IMULQ EP_CINSTRIDE(R10), BX          // ci * K*K*Cout*4
	ADDQ  BX, DX
	ADDQ  R9, DX

trow:
	XORQ AX, AX
tcol4:
	LEAQ 128(AX), BX
	CMPQ BX, R14
	JGT  tcol1
	VMOVUPS (R15)(AX*1), Y1
	VMOVUPS 32(R15)(AX*1), Y2
	VMOVUPS 64(R15)(AX*1), Y3
	VMOVUPS 96(R15)(AX*1), Y4
	VFMADD231PS (DX)(AX*1), Y0, Y1
	VFMADD231PS 32(DX)(AX*1), Y0, Y2
	VFMADD231PS 64(DX)(AX*1), Y0, Y3
	VFMADD231PS 96(DX)(AX*1), Y0, Y4
	VMOVUPS Y1, (R15)(AX*1)
	VMOVUPS Y2, 32(R15)(AX*1)
	VMOVUPS Y3, 64(R15)(AX*1)
	VMOVUPS Y4, 96(R15)(AX*1)
	MOVQ BX, AX
	JMP  tcol4
tcol1:
	CMPQ AX, R14
	JGE  trowend
	VMOVUPS (R15)(AX*1), Y1
	VFMADD231PS (DX)(AX*1), Y0, Y1
	VMOVUPS Y1, (R15)(AX*1)
	ADDQ $32, AX
	JMP  tcol1
trowend:
	ADDQ EP_KCOUT4(R10), DX            // next filter row (+K*Cout)
	SUBQ EP_OWCOUT4(R10), R15           // previous output row (-OW*Cout)
	DECQ R11
	JNZ  trow
	JMP  tev

tevdone:
	VZEROUPPER
	RET
