//go:build !noasm

#include "textflag.h"

// DEINT(idx, a, b, dst): dst = the idx-selected elements of a‖b.
#define DEINT(idx, a, b, dst) \
	VMOVDQU32 idx, dst; \
	VPERMI2D  b, a, dst

// func route2x2AVX512(n16 int, s0, s1, m, grad, d0, d1 *uint32, relu int, idx *[64]uint32)
// 16 windows a step: the four pixels of each window are separated into
// Z4..Z7, compared with the maxima (bit equality, K1..K3), the first hit
// kept (K4..K7, the last pixel when none), the gradient (zeroed where the
// fused ReLU cut the window off) stored under each mask, re-interleaved.
TEXT ·route2x2AVX512(SB), NOSPLIT, $0-72
	MOVQ n16+0(FP), CX
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
	VMOVDQU32 (SI), Z0
	VMOVDQU32 64(SI), Z1
	VMOVDQU32 (DI), Z2
	VMOVDQU32 64(DI), Z3
	DEINT(Z20, Z0, Z1, Z4) // s0[2i]
	DEINT(Z21, Z0, Z1, Z5) // s0[2i+1]
	DEINT(Z20, Z2, Z3, Z6) // s1[2i]
	VMOVDQU32 (R8), Z8     // maxima
	VMOVDQU32 (R9), Z9     // gradients

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
	VMOVDQU32 Z14, (R10)
	VMOVDQU32 Z15, 64(R10)
	VMOVDQU32 Z16, (R11)
	VMOVDQU32 Z17, 64(R11)

	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $128, R10
	ADDQ $128, R11
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET
