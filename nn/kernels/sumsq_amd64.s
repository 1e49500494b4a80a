//go:build !noasm

#include "textflag.h"

// func sumSquaresAVX2(n4 int, x *float32, s *[4]float64)
// Lane j of Y0 is s[j]; each step widens x[4i : 4i+4] to float64, squares
// and adds, rounding each operation (no FMA), as SumSquares does.
TEXT ·sumSquaresAVX2(SB), NOSPLIT, $0-24
	MOVQ n4+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ s+16(FP), DI
	VMOVUPD (DI), Y0
	SHLQ $4, CX
	XORQ DX, DX
loop:
	VCVTPS2PD (SI)(DX*1), Y1
	VMULPD    Y1, Y1, Y1
	VADDPD    Y1, Y0, Y0
	ADDQ $16, DX
	CMPQ DX, CX
	JLT  loop
	VMOVUPD Y0, (DI)
	VZEROUPPER
	RET
