//go:build !noasm

#include "textflag.h"
#include "zero_amd64.h"

// ARGS512 loads the arguments common to the AVX-512 kernels (kc to CX, a
// to AX, b to BX, c to DX, ldc to SI, ldb to R12, the strides in bytes),
// points R8 at the second A micro-panel, and starts fetching the first 4
// rows of the C tile, whose cache misses then overlap the k loop instead
// of stalling the stores. (Defined before the first TEXT, so that go vet
// does not take its arguments for another function's.)
#define ARGS512 \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), AX; \
	MOVQ b+16(FP), BX; \
	MOVQ c+24(FP), DX; \
	MOVQ ldc+32(FP), SI; \
	MOVQ ldb+48(FP), R12; \
	SHLQ $2, SI; \
	SHLQ $2, R12; \
	MOVQ CX, R8; \
	SHLQ $4, R8; \
	ADDQ AX, R8; \
	MOVQ DX, R10; \
	PREFETCHC4

// One step p of the 4×24 micro-kernel: Y12..Y14 = b[p*24 : p*24+24],
// then for each row i, Y(3i..3i+2) += a[p*4+i] · (Y12, Y13, Y14).
#define STEP(ao, bo) \
	VMOVUPS bo(BX), Y12; \
	VMOVUPS bo+32(BX), Y13; \
	VMOVUPS bo+64(BX), Y14; \
	VBROADCASTSS ao(AX), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VBROADCASTSS ao+4(AX), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VBROADCASTSS ao+8(AX), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VBROADCASTSS ao+12(AX), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

// func kernel4x24AVX2(kc int, a, b, c *float32, ldc int, beta float32)
TEXT ·kernel4x24AVX2(SB), NOSPLIT, $0-44
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), SI
	SHLQ $2, SI

	// Start fetching the C tile (4 rows of 96 bytes) so that its cache
	// misses overlap the k loop instead of stalling the stores.
	LEAQ       (DX)(SI*2), R9
	PREFETCHT0 (DX)
	PREFETCHT0 64(DX)
	PREFETCHT0 (DX)(SI*1)
	PREFETCHT0 64(DX)(SI*1)
	PREFETCHT0 (R9)
	PREFETCHT0 64(R9)
	PREFETCHT0 (R9)(SI*1)
	PREFETCHT0 64(R9)(SI*1)

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R8
	SHRQ $2, R8
	JZ   tail

loop4:
	STEP(0, 0)
	STEP(16, 96)
	STEP(32, 192)
	STEP(48, 288)
	ADDQ $64, AX
	ADDQ $384, BX
	DECQ R8
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   done

loop1:
	STEP(0, 0)
	ADDQ $16, AX
	ADDQ $96, BX
	DECQ CX
	JNZ  loop1

done:
	// beta == 0: store without reading C. Otherwise (including NaN beta)
	// acc += beta·C first.
	VBROADCASTSS beta+40(FP), Y15
	VXORPS       X14, X14, X14
	VUCOMISS     X14, X15
	JNE          accum
	JPS          accum
	JMP          store

accum:
	LEAQ        (DX)(SI*1), R9
	LEAQ        (DX)(SI*2), R10
	LEAQ        (R9)(SI*2), R11
	VFMADD231PS (DX), Y15, Y0
	VFMADD231PS 32(DX), Y15, Y1
	VFMADD231PS 64(DX), Y15, Y2
	VFMADD231PS (R9), Y15, Y3
	VFMADD231PS 32(R9), Y15, Y4
	VFMADD231PS 64(R9), Y15, Y5
	VFMADD231PS (R10), Y15, Y6
	VFMADD231PS 32(R10), Y15, Y7
	VFMADD231PS 64(R10), Y15, Y8
	VFMADD231PS (R11), Y15, Y9
	VFMADD231PS 32(R11), Y15, Y10
	VFMADD231PS 64(R11), Y15, Y11

store:
	LEAQ    (DX)(SI*1), R9
	LEAQ    (DX)(SI*2), R10
	LEAQ    (R9)(SI*2), R11
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, (R9)
	VMOVUPS Y4, 32(R9)
	VMOVUPS Y5, 64(R9)
	VMOVUPS Y6, (R10)
	VMOVUPS Y7, 32(R10)
	VMOVUPS Y8, 64(R10)
	VMOVUPS Y9, (R11)
	VMOVUPS Y10, 32(R11)
	VMOVUPS Y11, 64(R11)
	VZEROUPPER
	RET

// func packBRowsAVX2(rows, panels int, b *float32, ldb int, dst *float32, kc, nr int)
// For p < rows and q < panels: dst[q*kc*nr + p*nr : +nr] = b[p*ldb + q*nr : +nr],
// nr a multiple of 24, copied 24 floats at a time.
TEXT ·packBRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ rows+0(FP), CX
	MOVQ panels+8(FP), R8
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), R9
	SHLQ $2, R9
	MOVQ dst+32(FP), DI
	MOVQ nr+48(FP), AX
	XORQ DX, DX
	MOVQ $24, BX
	DIVQ BX         // AX: 24-float chunks per panel row
	MOVQ nr+48(FP), DX
	SHLQ $2, DX     // panel row in bytes
	MOVQ kc+40(FP), R10
	IMULQ DX, R10   // panel stride in bytes
	SUBQ DX, R10    // from the end of one panel row to the next panel's

rows:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R8, R13

panels:
	MOVQ AX, BX

chunks:
	VMOVUPS (R11), Y0
	VMOVUPS 32(R11), Y1
	VMOVUPS 64(R11), Y2
	VMOVUPS Y0, (R12)
	VMOVUPS Y1, 32(R12)
	VMOVUPS Y2, 64(R12)
	ADDQ    $96, R11
	ADDQ    $96, R12
	DECQ    BX
	JNZ     chunks

	ADDQ R10, R12
	DECQ R13
	JNZ  panels

	ADDQ R9, SI
	ADDQ DX, DI
	DECQ CX
	JNZ  rows
	VZEROUPPER
	RET

// func transpose8AVX2(n8 int, src *float32, lds int, dst *float32, ldd int)
// For i < n8, transposes the 8×8 block at src + 8i (rows lds apart) into
// dst + 8i·ldd (rows ldd apart): dst[(8i+r)*ldd + s] = src[s*lds + 8i + r].
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ n8+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	MOVQ ldd+32(FP), R9
	SHLQ $2, R9
	LEAQ (R8)(R8*2), R10 // 3·lds
	LEAQ (R9)(R9*2), R11 // 3·ldd

block:
	MOVQ    SI, AX
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMOVUPS (AX)(R8*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	LEAQ    (AX)(R8*4), AX
	VMOVUPS (AX), Y4
	VMOVUPS (AX)(R8*1), Y5
	VMOVUPS (AX)(R8*2), Y6
	VMOVUPS (AX)(R10*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	MOVQ    DI, BX
	VMOVUPS Y8, (BX)
	VMOVUPS Y9, (BX)(R9*1)
	VMOVUPS Y10, (BX)(R9*2)
	VMOVUPS Y11, (BX)(R11*1)
	LEAQ    (BX)(R9*4), BX
	VMOVUPS Y12, (BX)
	VMOVUPS Y13, (BX)(R9*1)
	VMOVUPS Y14, (BX)(R9*2)
	VMOVUPS Y15, (BX)(R11*1)

	ADDQ $32, SI
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  block
	VZEROUPPER
	RET

// Narrow micro-kernels for the last, partial micro-panel of B (8 or 16
// columns wide instead of 24), so that a product with n = 24q+3 does not
// compute 21 columns of zeros. Same contract as kernel4x24AVX2 with b
// holding kc×8 (kc×16) values; kc ≥ 1.

// func kernel4x8AVX2(kc int, a, b, c *float32, ldc int)
TEXT ·kernel4x8AVX2(SB), NOSPLIT, $0-40
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	MOVQ   c+24(FP), DX
	MOVQ   ldc+32(FP), SI
	SHLQ   $2, SI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

loop8:
	VMOVUPS      (BX), Y12
	VBROADCASTSS (AX), Y15
	VFMADD231PS  Y12, Y15, Y0
	VBROADCASTSS 4(AX), Y15
	VFMADD231PS  Y12, Y15, Y1
	VBROADCASTSS 8(AX), Y15
	VFMADD231PS  Y12, Y15, Y2
	VBROADCASTSS 12(AX), Y15
	VFMADD231PS  Y12, Y15, Y3
	ADDQ         $16, AX
	ADDQ         $32, BX
	DECQ         CX
	JNZ          loop8

	LEAQ         (DX)(SI*1), R9
	LEAQ         (DX)(SI*2), R10
	LEAQ         (R9)(SI*2), R11
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, (R9)
	VMOVUPS Y2, (R10)
	VMOVUPS Y3, (R11)
	VZEROUPPER
	RET

// func kernel4x16AVX2(kc int, a, b, c *float32, ldc int)
TEXT ·kernel4x16AVX2(SB), NOSPLIT, $0-40
	MOVQ   kc+0(FP), CX
	MOVQ   a+8(FP), AX
	MOVQ   b+16(FP), BX
	MOVQ   c+24(FP), DX
	MOVQ   ldc+32(FP), SI
	SHLQ   $2, SI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop16:
	VMOVUPS      (BX), Y12
	VMOVUPS      32(BX), Y13
	VBROADCASTSS (AX), Y15
	VFMADD231PS  Y12, Y15, Y0
	VFMADD231PS  Y13, Y15, Y1
	VBROADCASTSS 4(AX), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS 8(AX), Y15
	VFMADD231PS  Y12, Y15, Y4
	VFMADD231PS  Y13, Y15, Y5
	VBROADCASTSS 12(AX), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	ADDQ         $16, AX
	ADDQ         $64, BX
	DECQ         CX
	JNZ          loop16

	LEAQ         (DX)(SI*1), R9
	LEAQ         (DX)(SI*2), R10
	LEAQ         (R9)(SI*2), R11
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, (R9)
	VMOVUPS Y3, 32(R9)
	VMOVUPS Y4, (R10)
	VMOVUPS Y5, 32(R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, 32(R11)
	VZEROUPPER
	RET

// func packA4AVX2(n8 int, a *float32, lda int, dst *float32, alpha float32)
// Packs alpha·a[r*lda + p] for rows r < 4 and p < 8·n8 into dst[p*4 + r]:
// each 4×8 block is transposed in registers (unpack, then 128-bit lane
// permutes) into 32 consecutive floats.
TEXT ·packA4AVX2(SB), NOSPLIT, $0-36
	MOVQ n8+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), BX
	MOVQ dst+24(FP), DI
	VBROADCASTSS alpha+32(FP), Y15
	SHLQ $2, BX
	LEAQ (SI)(BX*2), R8 // row 2
packa:
	VMULPS (SI), Y15, Y0
	VMULPS (SI)(BX*1), Y15, Y1
	VMULPS (R8), Y15, Y2
	VMULPS (R8)(BX*1), Y15, Y3
	VUNPCKLPS Y1, Y0, Y4 // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
	VUNPCKHPS Y1, Y0, Y5 // r0[2] r1[2] r0[3] r1[3] | 6, 7
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VUNPCKLPD Y6, Y4, Y8  // p0 | p4
	VUNPCKHPD Y6, Y4, Y9  // p1 | p5
	VUNPCKLPD Y7, Y5, Y10 // p2 | p6
	VUNPCKHPD Y7, Y5, Y11 // p3 | p7
	VPERM2F128 $0x20, Y9, Y8, Y0  // p0 p1
	VPERM2F128 $0x20, Y11, Y10, Y1 // p2 p3
	VPERM2F128 $0x31, Y9, Y8, Y2  // p4 p5
	VPERM2F128 $0x31, Y11, Y10, Y3 // p6 p7
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $128, DI
	DECQ CX
	JNZ  packa
	VZEROUPPER
	RET

// AVX-512 micro-kernels: B micro-panels up to 48 wide (3 ZMM vectors per
// row), row p at b + p·ldb·4 (ldb = the panel width for a packed panel; the
// row stride of B itself when the kernel reads B unpacked). Rows 0-3 of A
// come from the packed A micro-panel at a, rows 4-7 from the next one, at
// a + kc·16 bytes.
// ROW512(ao, z0, z1, z2): z0..z2 += a[ao] · (Z24, Z25, Z26).
#define ROW512(ao, z0, z1, z2) \
	VBROADCASTSS ao, Z27; \
	VFMADD231PS  Z24, Z27, z0; \
	VFMADD231PS  Z25, Z27, z1; \
	VFMADD231PS  Z26, Z27, z2

#define ROW512x2(ao, z0, z1) \
	VBROADCASTSS ao, Z27; \
	VFMADD231PS  Z24, Z27, z0; \
	VFMADD231PS  Z25, Z27, z1

#define ROW512x1(ao, z0) \
	VFMADD231PS.BCST ao, Z24, z0

// ROWS4xV / ROWS8xV: one step p of the k loop on the V vectors of B in
// Z24..Z26 for rows 0-3 (AX) or 0-7 (AX, then R8) of A, accumulating row
// i in Z(3i)..Z(3i+V-1).
#define ROWS4x3 \
	ROW512((AX), Z0, Z1, Z2); \
	ROW512(4(AX), Z3, Z4, Z5); \
	ROW512(8(AX), Z6, Z7, Z8); \
	ROW512(12(AX), Z9, Z10, Z11)

#define ROWS8x3 \
	ROWS4x3; \
	ROW512((R8), Z12, Z13, Z14); \
	ROW512(4(R8), Z15, Z16, Z17); \
	ROW512(8(R8), Z18, Z19, Z20); \
	ROW512(12(R8), Z21, Z22, Z23)

#define ROWS4x2 \
	ROW512x2((AX), Z0, Z1); \
	ROW512x2(4(AX), Z3, Z4); \
	ROW512x2(8(AX), Z6, Z7); \
	ROW512x2(12(AX), Z9, Z10)

#define ROWS8x2 \
	ROWS4x2; \
	ROW512x2((R8), Z12, Z13); \
	ROW512x2(4(R8), Z15, Z16); \
	ROW512x2(8(R8), Z18, Z19); \
	ROW512x2(12(R8), Z21, Z22)

#define ROWS4x1 \
	ROW512x1((AX), Z0); \
	ROW512x1(4(AX), Z3); \
	ROW512x1(8(AX), Z6); \
	ROW512x1(12(AX), Z9)

#define ROWS8x1 \
	ROWS4x1; \
	ROW512x1((R8), Z12); \
	ROW512x1(4(R8), Z15); \
	ROW512x1(8(R8), Z18); \
	ROW512x1(12(R8), Z21)

// NEXT4 and NEXT8 advance A (one or both micro-panels) and B by one k step
// and count it down.
#define NEXT4 \
	ADDQ $16, AX; \
	ADDQ R12, BX; \
	DECQ CX

#define NEXT8 \
	ADDQ $16, R8; \
	NEXT4

#define LOADB512 \
	VMOVUPS (BX), Z24; \
	VMOVUPS 64(BX), Z25; \
	VMOVUPS 128(BX), Z26

// The same for the first 1, 2 or 3 vectors of a row, masked by K1..K3
// (lanes past the panel's width read as zero and are never loaded).
#define LOADB512M1 \
	VMOVUPS.Z (BX), K1, Z24

#define LOADB512M2 \
	VMOVUPS.Z (BX), K1, Z24; \
	VMOVUPS.Z 64(BX), K2, Z25

#define LOADB512M3 \
	LOADB512M2; \
	VMOVUPS.Z 128(BX), K3, Z26

// PREFETCHB fetches the cache line at BX + R13 (in a row of a panel the
// caller reads later), PREFETCHC the 192 bytes of a row of C at r.
#define PREFETCHB \
	PREFETCHT0 (BX)(R13*1)

#define PREFETCHC(r) \
	PREFETCHT0 (r); \
	PREFETCHT0 64(r); \
	PREFETCHT0 128(r); \
	PREFETCHT0 191(r)

// PREFETCHC4 fetches 4 rows of the C tile from R10 on, leaving R10 at the
// next row.
#define PREFETCHC4 \
	PREFETCHC(R10); \
	ADDQ SI, R10; \
	PREFETCHC(R10); \
	ADDQ SI, R10; \
	PREFETCHC(R10); \
	ADDQ SI, R10; \
	PREFETCHC(R10); \
	ADDQ SI, R10

// OUT512(z0, z1, z2): C row at R10 = acc (+ beta·C first when R11 ≠ 0,
// beta in Z31); then R10 moves to the next row.
#define OUT512(z0, z1, z2) \
	TESTQ       R11, R11; \
	JZ          4(PC); \
	VFMADD231PS (R10), Z31, z0; \
	VFMADD231PS 64(R10), Z31, z1; \
	VFMADD231PS 128(R10), Z31, z2; \
	VMOVUPS     z0, (R10); \
	VMOVUPS     z1, 64(R10); \
	VMOVUPS     z2, 128(R10); \
	ADDQ        SI, R10

// OUT512M is OUT512 for the lanes of K1..K3 only, for the last row of the
// tile when R13 counts down to 0 (then it jumps to done).
#define OUT512M(z0, z1, z2) \
	TESTQ       R11, R11; \
	JZ          4(PC); \
	VFMADD231PS (R10), Z31, K1, z0; \
	VFMADD231PS 64(R10), Z31, K2, z1; \
	VFMADD231PS 128(R10), Z31, K3, z2; \
	VMOVUPS     z0, K1, (R10); \
	VMOVUPS     z1, K2, 64(R10); \
	VMOVUPS     z2, K3, 128(R10); \
	ADDQ        SI, R10; \
	DECQ        R13; \
	JZ          done

// OUT8ROWS(out) runs out (OUT512 or OUT512M) on the 8 rows of accumulators.
#define OUT8ROWS(out) \
	out(Z0, Z1, Z2); \
	out(Z3, Z4, Z5); \
	out(Z6, Z7, Z8); \
	out(Z9, Z10, Z11); \
	out(Z12, Z13, Z14); \
	out(Z15, Z16, Z17); \
	out(Z18, Z19, Z20); \
	out(Z21, Z22, Z23)

// BETA512 sets R11 to 1 and Z31 to beta (whose bits are in R9) when C is
// to be read: beta ≠ ±0 (a NaN beta reads C, as in kernel4x24AVX2).
#define BETA512 \
	VPBROADCASTD R9, Z31; \
	XORQ         R11, R11; \
	ANDL         $0x7fffffff, R9; \
	JZ           2(PC); \
	MOVQ         $1, R11

// func kernel8x48AVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, pf int)
// With pf ≠ 0 it also prefetches the cache line pf bytes past each row of
// B it reads (see macroKernelDirect).
TEXT ·kernel8x48AVX512(SB), NOSPLIT, $0-64
	ARGS512
	PREFETCHC4
	MOVQ pf+56(FP), R13
	ZERO24Z
	TESTQ R13, R13
	JNZ   loop8x48pf

loop8x48:
	LOADB512
	ROWS8x3
	NEXT8
	JNZ  loop8x48
	JMP  out8x48

loop8x48pf:
	PREFETCHB
	LOADB512
	ROWS8x3
	NEXT8
	JNZ  loop8x48pf

out8x48:
	MOVL beta+40(FP), R9
	BETA512
	MOVQ DX, R10
	OUT8ROWS(OUT512)
	VZEROUPPER
	RET

// func kernel9x48AVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, pf int, a9, c9 *float32)
// kernel8x48AVX512 plus a ninth row, from the A micro-panel column at a9
// (stride 4 floats per k step, like the others) into the C row at c9: one
// pass over the B panel serves 9 rows, so that m = 8q+r with r ≤ q needs no
// edge tile (m = 50: 2 of these and 4 of 8 rows).
TEXT ·kernel9x48AVX512(SB), NOSPLIT, $0-80
	ARGS512
	PREFETCHC4
	MOVQ c9+72(FP), R10
	PREFETCHC(R10)
	MOVQ pf+56(FP), R13
	MOVQ a9+64(FP), DI
	ZERO24Z
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	TESTQ R13, R13
	JNZ   loop9x48pf

loop9x48:
	LOADB512
	ROWS8x3
	ROW512((DI), Z28, Z29, Z30)
	ADDQ $16, DI
	NEXT8
	JNZ  loop9x48
	JMP  out9x48

loop9x48pf:
	PREFETCHB
	LOADB512
	ROWS8x3
	ROW512((DI), Z28, Z29, Z30)
	ADDQ $16, DI
	NEXT8
	JNZ  loop9x48pf

out9x48:
	MOVL beta+40(FP), R9
	BETA512
	MOVQ DX, R10
	OUT8ROWS(OUT512)
	MOVQ c9+72(FP), R10
	OUT512(Z28, Z29, Z30)
	VZEROUPPER
	RET

// func kernelEdgeAVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, h, nv int, mask uint64, pf int)
// The tiles at the edges of C: rows 0..h-1 (1 ≤ h ≤ 8; the A micro-panels
// are zero-padded to 4 rows, and the second one is read only when h > 4)
// and the columns set in mask (the first w ≤ 48), nv = ⌈w/16⌉ vectors of
// them. B is read and C read and written only in those columns, so an edge
// panel of B needs no padding and can be read in place. Each element gets
// the operations of the full kernels.
TEXT ·kernelEdgeAVX512(SB), NOSPLIT, $0-88
	ARGS512
	MOVQ mask+72(FP), R9
	KMOVW R9, K1
	SHRQ  $16, R9
	KMOVW R9, K2
	SHRQ  $16, R9
	KMOVW R9, K3
	ZERO24Z
	MOVQ nv+64(FP), R14
	MOVQ pf+80(FP), R13
	CMPQ h+56(FP), $4
	JHI  rows8
	CMPQ R14, $1
	JEQ  edge4x1
	CMPQ R14, $2
	JEQ  edge4x2

edge4x3:
	PREFETCHB
	LOADB512M3
	ROWS4x3
	NEXT4
	JNZ  edge4x3
	JMP  edgeout

edge4x2:
	PREFETCHB
	LOADB512M2
	ROWS4x2
	NEXT4
	JNZ  edge4x2
	JMP  edgeout

edge4x1:
	PREFETCHB
	LOADB512M1
	ROWS4x1
	NEXT4
	JNZ  edge4x1
	JMP  edgeout

rows8:
	PREFETCHC4
	CMPQ R14, $1
	JEQ  edge8x1
	CMPQ R14, $2
	JEQ  edge8x2

edge8x3:
	PREFETCHB
	LOADB512M3
	ROWS8x3
	NEXT8
	JNZ  edge8x3
	JMP  edgeout

edge8x2:
	PREFETCHB
	LOADB512M2
	ROWS8x2
	NEXT8
	JNZ  edge8x2
	JMP  edgeout

edge8x1:
	PREFETCHB
	LOADB512M1
	ROWS8x1
	NEXT8
	JNZ  edge8x1

edgeout:
	MOVL beta+40(FP), R9
	BETA512
	MOVQ DX, R10
	MOVQ h+56(FP), R13
	OUT8ROWS(OUT512M)

done:
	VZEROUPPER
	RET
