//go:build !noasm

#include "textflag.h"

// DEINT(idx, a, b, dst): dst = the idx-selected elements of a‖b.
#define DEINT(idx, a, b, dst) \
	VMOVDQU32 idx, dst; \
	VPERMI2D  b, a, dst

// func route2x2AVX512(n int, s0, s1, m, grad, d0, d1 *uint32, relu int, idx *[64]uint32)
// 16 windows a step, the last step masked to the n%16 left (masked loads
// and stores touch nothing past them): the four pixels of each window are
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
	MOVQ CX, R13
	MOVL $1, AX
	SHLL CX, AX
	DECL AX     // (1 << r) - 1
	ADDQ CX, CX
	MOVL $1, BX
	SHLL CX, BX
	DECL BX     // (1 << 2r) - 1: low half for BX…
	MOVL BX, DX
	SHRL $16, DX // …high half for DX
	MOVQ R13, CX

masked:
	KMOVW AX, K1
	KMOVW BX, K2
	KMOVW DX, K3
	VMOVDQU32.Z (SI), K2, Z0
	VMOVDQU32.Z 64(SI), K3, Z1
	VMOVDQU32.Z (DI), K2, Z2
	VMOVDQU32.Z 64(DI), K3, Z3
	VMOVDQU32.Z (R8), K1, Z8 // maxima
	VMOVDQU32.Z (R9), K1, Z9 // gradients
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
	KMOVW     BX, K2
	KMOVW     DX, K3
	VMOVDQU32 Z14, K2, (R10)
	VMOVDQU32 Z15, K3, 64(R10)
	VMOVDQU32 Z16, K2, (R11)
	VMOVDQU32 Z17, K3, 64(R11)

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
