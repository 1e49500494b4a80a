//go:build !noasm

#include "textflag.h"

// One Adam update of the 8 elements at byte offset DX, with the gradient
// (plus the L2 term) in Y0 and w in Y1; constants in Y8..Y14 (see
// adamAVX2). Each operation is rounded separately, as in AdamRef: no FMA.
#define BODY \
	VMULPS  (R8)(DX*1), Y8, Y3; \
	VMULPS  Y0, Y9, Y4; \
	VADDPS  Y4, Y3, Y3; \
	VMULPS  (R9)(DX*1), Y10, Y5; \
	VMULPS  Y0, Y11, Y6; \
	VMULPS  Y0, Y6, Y6; \
	VADDPS  Y6, Y5, Y5; \
	VMOVUPS Y3, (R8)(DX*1); \
	VMOVUPS Y5, (R9)(DX*1); \
	VSQRTPS Y5, Y6; \
	VMULPS  Y13, Y6, Y6; \
	VADDPS  Y14, Y6, Y6; \
	VMULPS  Y12, Y3, Y7; \
	VDIVPS  Y6, Y7, Y7; \
	VSUBPS  Y7, Y1, Y1; \
	VMOVUPS Y1, (DI)(DX*1)

// func adamAVX2(n8 int, w, grad, m, v *float32, c *AdamConsts)
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ n8+0(FP), CX
	MOVQ w+8(FP), DI
	MOVQ grad+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ v+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y8   // β1
	VBROADCASTSS 4(AX), Y9   // 1-β1
	VBROADCASTSS 8(AX), Y10  // β2
	VBROADCASTSS 12(AX), Y11 // 1-β2
	VBROADCASTSS 16(AX), Y12 // step
	VBROADCASTSS 20(AX), Y13 // 1/√(1-β2ᵗ)
	VBROADCASTSS 24(AX), Y14 // ε
	VBROADCASTSS 28(AX), Y15 // decay
	MOVBLZX 32(AX), BX       // has decay
	SHLQ $5, CX              // bytes
	XORQ DX, DX
	TESTQ BX, BX
	JZ   plain

decay:
	VMOVUPS (SI)(DX*1), Y0
	VMOVUPS (DI)(DX*1), Y1
	VMULPS  Y1, Y15, Y2
	VADDPS  Y2, Y0, Y0
	BODY
	ADDQ $32, DX
	CMPQ DX, CX
	JLT  decay
	VZEROUPPER
	RET

plain:
	VMOVUPS (SI)(DX*1), Y0
	VMOVUPS (DI)(DX*1), Y1
	BODY
	ADDQ $32, DX
	CMPQ DX, CX
	JLT  plain
	VZEROUPPER
	RET
