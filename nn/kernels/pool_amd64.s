//go:build !noasm

#include "textflag.h"

// DEINT(idx, a, b, dst): dst = the idx-selected elements of a‖b.
#define DEINT(idx, a, b, dst) \
	VMOVDQU32 idx, dst; \
	VPERMI2D  b, a, dst

// TAILMASKS(save): for the r = CX < 16 windows left, AX = (1 << r) - 1
// (the windows) and BX, DX the low and high 16 bits of (1 << 2r) - 1 (their
// pixels in a row's two vectors); save is clobbered.
#define TAILMASKS(save) \
	MOVQ CX, save;  \
	MOVL $1, AX;    \
	SHLL CX, AX;    \
	DECL AX;        \
	ADDQ CX, CX;    \
	MOVL $1, BX;    \
	SHLL CX, BX;    \
	DECL BX;        \
	MOVL BX, DX;    \
	SHRL $16, DX;   \
	MOVQ save, CX

// func route2x2AVX512(n int, s0, s1, m, grad, d0, d1 *uint32, relu int, idx *[64]uint32)
// 16 windows a step, the last step masked to the n%16 left (masked loads
// and stores touch nothing past them; whole steps use plain ones, which on
// Zen 4 and 5 run about twice as fast in this loop): the four pixels of each window are
// separated into Z4..Z6 (the fourth needs no compare), compared with the
// maxima (bit equality, K1..K3), the first hit kept (K1, K5, K6, K7; the
// last pixel when none), the gradient (zeroed where the fused ReLU cut the
// window off) kept under each mask, and the results re-interleaved.
TEXT ·route2x2AVX512(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ s0+8(FP), SI
	MOVQ s1+16(FP), DI
	MOVQ m+24(FP), R8
	MOVQ grad+32(FP), R9
	MOVQ d0+40(FP), R10
	MOVQ d1+48(FP), R11
	MOVQ relu+56(FP), R12
	MOVQ idx+64(FP), AX
	VMOVDQU32 (AX), Z20
	VMOVDQU32 64(AX), Z21
	VMOVDQU32 128(AX), Z22
	VMOVDQU32 192(AX), Z23
	VPXORD    Z24, Z24, Z24 // zero

loop:
	// AX: the windows of this step; BX, DX: the first and second 16 pixels
	// of a row of them.
	MOVL $0xffff, AX
	MOVL $0xffff, BX
	MOVL $0xffff, DX
	CMPQ CX, $16
	JGE  masked
	TAILMASKS(R13)

masked:
	KMOVW AX, K1
	KMOVW BX, K2
	KMOVW DX, K3
	CMPQ  CX, $16
	JLT   tailload
	VMOVDQU32 (SI), Z0 // a whole step: plain loads
	VMOVDQU32 64(SI), Z1
	VMOVDQU32 (DI), Z2
	VMOVDQU32 64(DI), Z3
	VMOVDQU32 (R8), Z8
	VMOVDQU32 (R9), Z9
	JMP       loaded

tailload:
	VMOVDQU32.Z (SI), K2, Z0
	VMOVDQU32.Z 64(SI), K3, Z1
	VMOVDQU32.Z (DI), K2, Z2
	VMOVDQU32.Z 64(DI), K3, Z3
	VMOVDQU32.Z (R8), K1, Z8 // maxima
	VMOVDQU32.Z (R9), K1, Z9 // gradients

loaded:
	DEINT(Z20, Z0, Z1, Z4)   // s0[2i]
	DEINT(Z21, Z0, Z1, Z5)   // s0[2i+1]
	DEINT(Z20, Z2, Z3, Z6)   // s1[2i]

	VPCMPEQD Z8, Z4, K1
	VPCMPEQD Z8, Z5, K2
	VPCMPEQD Z8, Z6, K3
	KANDNW   K2, K1, K5 // ¬K1 ∧ K2
	KORW     K1, K2, K2
	KANDNW   K3, K2, K6 // ¬(K1 ∨ K2) ∧ K3
	KORW     K2, K3, K3
	KNOTW    K3, K7     // none of the first three
	TESTQ    R12, R12
	JZ       route
	VPCMPEQD Z24, Z8, K4
	KNOTW    K4, K4
	VMOVDQU32.Z Z9, K4, Z9 // +0 maximum: no gradient

route:
	VMOVDQU32.Z Z9, K1, Z10
	VMOVDQU32.Z Z9, K5, Z11
	VMOVDQU32.Z Z9, K6, Z12
	VMOVDQU32.Z Z9, K7, Z13
	DEINT(Z22, Z10, Z11, Z14)
	DEINT(Z23, Z10, Z11, Z15)
	DEINT(Z22, Z12, Z13, Z16)
	DEINT(Z23, Z12, Z13, Z17)
	CMPQ      CX, $16
	JLT       tail
	VMOVDQU32 Z14, (R10) // a whole step: plain stores (masked ones are slow on Zen)
	VMOVDQU32 Z15, 64(R10)
	VMOVDQU32 Z16, (R11)
	VMOVDQU32 Z17, 64(R11)
	JMP       next

tail:
	KMOVW     BX, K2
	KMOVW     DX, K3
	VMOVDQU32 Z14, K2, (R10)
	VMOVDQU32 Z15, K3, 64(R10)
	VMOVDQU32 Z16, K2, (R11)
	VMOVDQU32 Z17, K3, 64(R11)

next:

	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $128, R10
	ADDQ $128, R11
	SUBQ $16, CX
	JGT  loop
	VZEROUPPER
	RET

// KEY(x, t): x = its sortable integer image (the magnitude bits flipped
// when the sign is set), its own inverse; t is clobbered.
#define KEY(x, t) \
	VPSRAD $31, x, t; \
	VPSRLD $1, t, t;  \
	VPXORD t, x, x

// func max2x2AVX512(rows, n int, s *float32, lds int, dst *float32, ldd int, floor int32, idx *[64]uint32) bool
// 16 windows a step (the last of a row masked to the n%16 left): both
// input rows loaded as 32 pixels each, NaNs noted in K7, mapped to their
// integer images, the rows' maxima taken, split into each window's even
// and odd pixel (VPERMI2D), their maximum and the ReLU's floor taken, and
// mapped back.
TEXT ·max2x2AVX512(SB), NOSPLIT, $0-65
	MOVQ rows+0(FP), R8
	MOVQ n+8(FP), R9
	MOVQ s+16(FP), SI
	MOVQ lds+24(FP), R10
	MOVQ dst+32(FP), DI
	MOVQ ldd+40(FP), R11
	MOVL floor+48(FP), AX
	MOVQ idx+56(FP), DX
	VPBROADCASTD AX, Z25
	VMOVDQU32    (DX), Z20
	VMOVDQU32    64(DX), Z21
	KXORW        K7, K7, K7
	SHLQ         $2, R10
	SHLQ         $2, R11

row:
	MOVQ SI, R13
	LEAQ (SI)(R10*1), R14
	MOVQ DI, R15
	MOVQ R9, CX

step:
	MOVL $0xffff, AX
	MOVL $0xffff, BX
	MOVL $0xffff, DX
	CMPQ CX, $16
	JGE  masked
	TAILMASKS(R12)

masked:
	KMOVW AX, K1
	KMOVW BX, K2
	KMOVW DX, K3
	CMPQ  CX, $16
	JLT   maxtailload
	VMOVDQU32 (R13), Z0 // a whole step: plain loads
	VMOVDQU32 64(R13), Z1
	VMOVDQU32 (R14), Z2
	VMOVDQU32 64(R14), Z3
	JMP       maxloaded

maxtailload:
	VMOVDQU32.Z (R13), K2, Z0
	VMOVDQU32.Z 64(R13), K3, Z1
	VMOVDQU32.Z (R14), K2, Z2
	VMOVDQU32.Z 64(R14), K3, Z3

maxloaded:
	VCMPPS      $3, Z0, Z0, K4
	VCMPPS      $3, Z1, Z1, K5
	KORW        K4, K5, K4
	KORW        K4, K7, K7
	VCMPPS      $3, Z2, Z2, K4
	VCMPPS      $3, Z3, Z3, K5
	KORW        K4, K5, K4
	KORW        K4, K7, K7
	KEY(Z0, Z10)
	KEY(Z1, Z11)
	KEY(Z2, Z12)
	KEY(Z3, Z13)
	VPMAXSD     Z2, Z0, Z0
	VPMAXSD     Z3, Z1, Z1
	DEINT(Z20, Z0, Z1, Z4)
	DEINT(Z21, Z0, Z1, Z5)
	VPMAXSD     Z5, Z4, Z4
	VPMAXSD     Z25, Z4, Z4
	KEY(Z4, Z10)
	CMPQ        CX, $16
	JLT         maxtail
	VMOVDQU32   Z4, (R15) // a whole step: a plain store
	JMP         maxnext

maxtail:
	VMOVDQU32 Z4, K1, (R15)

maxnext:

	ADDQ $128, R13
	ADDQ $128, R14
	ADDQ $64, R15
	SUBQ $16, CX
	JGT  step

	LEAQ (SI)(R10*2), SI
	ADDQ R11, DI
	DECQ R8
	JNZ  row

	KORTESTW K7, K7
	SETNE    ret+64(FP)
	VZEROUPPER
	RET
