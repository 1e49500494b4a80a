//go:build !noasm

#include "textflag.h"

// One step p of the 4×24 micro-kernel: V24..V29 = b[p*24 : p*24+24], then
// for each row i, V(6i..6i+5) += a[p*4+i] · (V24..V29), one FMLA (fused,
// rounded once) per lane, as fma32.
#define ROW(v0, v1, v2, v3, v4, v5) \
	VLD1R.P 4(R0), [V30.S4]; \
	VFMLA   V24.S4, V30.S4, v0.S4; \
	VFMLA   V25.S4, V30.S4, v1.S4; \
	VFMLA   V26.S4, V30.S4, v2.S4; \
	VFMLA   V27.S4, V30.S4, v3.S4; \
	VFMLA   V28.S4, V30.S4, v4.S4; \
	VFMLA   V29.S4, V30.S4, v5.S4

#define STEP \
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	VLD1.P 32(R1), [V28.S4, V29.S4]; \
	ROW(V0, V1, V2, V3, V4, V5); \
	ROW(V6, V7, V8, V9, V10, V11); \
	ROW(V12, V13, V14, V15, V16, V17); \
	ROW(V18, V19, V20, V21, V22, V23)

// C row i (at R4) = acc row i, after acc += beta·C when beta ≠ 0 (V31
// holds beta in every lane; R7 is 1 when C is to be read).
#define OUT(v0, v1, v2, v3, v4, v5) \
	ADD   $64, R4, R5; \
	CBZ   R7, 3(PC); \
	VLD1  (R4), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	VLD1  (R5), [V28.S4, V29.S4]; \
	CBZ   R7, 7(PC); \
	VFMLA V24.S4, V31.S4, v0.S4; \
	VFMLA V25.S4, V31.S4, v1.S4; \
	VFMLA V26.S4, V31.S4, v2.S4; \
	VFMLA V27.S4, V31.S4, v3.S4; \
	VFMLA V28.S4, V31.S4, v4.S4; \
	VFMLA V29.S4, V31.S4, v5.S4; \
	VST1  [v0.S4, v1.S4, v2.S4, v3.S4], (R4); \
	VST1  [v4.S4, v5.S4], (R5); \
	ADD   R3, R4, R4

// func kernel4x24NEON(kc int, a, b, c *float32, ldc int, beta float32)
TEXT ·kernel4x24NEON(SB), NOSPLIT, $0-44
	MOVD kc+0(FP), R6
	MOVD a+8(FP), R0
	MOVD b+16(FP), R1
	MOVD c+24(FP), R2
	MOVD ldc+32(FP), R3
	LSL  $2, R3, R3

	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16

loop:
	STEP
	SUBS $1, R6, R6
	BNE  loop

	// beta == 0 (and only then: a NaN beta compares unequal) stores
	// without reading C.
	MOVD  $0, R7
	FMOVS beta+40(FP), F31
	FCMPS $(0.0), F31
	BEQ   out
	MOVD  $1, R7
	MOVD  $beta+40(FP), R8
	VLD1R (R8), [V31.S4]

out:
	MOVD R2, R4
	OUT(V0, V1, V2, V3, V4, V5)
	OUT(V6, V7, V8, V9, V10, V11)
	OUT(V12, V13, V14, V15, V16, V17)
	OUT(V18, V19, V20, V21, V22, V23)
	RET
