// Package kernels holds the hot loops of nn: matrix multiplication and its
// helpers. Each fast kernel has a plain Go fallback whose code is the
// reference loop, and tests compare the two.
//
// The float32 GEMM is a packed, cache-blocked GEMM in the Goto/BLIS style
// (see sgemm.go) whose inner micro-kernel is written in Go assembly
// (AVX-512 or AVX2+FMA on amd64, NEON on arm64) and chosen at run time by
// CPU feature detection (see Path); builds with -tags noasm,
// other machines and CPUs without the features run the same packing with a
// pure-Go micro-kernel. Every path gives the same bits: each element is one
// chain of fused multiply-adds over k in fixed blocks, the Go path using a
// correctly rounded float32 FMA (fma32). float64 (gradient checks) runs
// gonum's Dgemm. GemmParallel splits one product over several goroutines
// with results bit-identical to Gemm. GemmRows takes B as rows made on
// demand (Rows), packed as they come, so a convolution's im2col matrix is
// never stored.
//
// Beside the GEMM: Adam (the fused optimiser update) and SumSquares (the L2
// term) have AVX2 kernels that agree bit for bit with their Go reference
// loops, and ParallelRange / AdamParallel cut element-wise work over
// goroutines. Split calls hand their parts to long-lived helper goroutines
// and keep their scratch in free lists, so a warmed-up caller allocates
// nothing, serial or split.
package kernels

import (
	"fmt"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// Float is the element type the kernels accept.
type Float interface{ ~float32 | ~float64 }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ, op(A) is m×k, op(B) is k×n and C is m×n, with leading
// dimensions lda, ldb, ldc. float32 runs the fast kernel; float64 (gradient
// checks) runs gonum's blocked, parallel Dgemm.
//
// As in BLAS, when beta is 0 C is not read (so NaNs in it do not leak into
// the result), and elements of C outside its m×n part are never touched.
// Shape errors (a leading dimension smaller than the row length, a slice
// too short for its matrix) panic with a message that names the argument.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if unsafe.Sizeof(alpha) == 4 {
		sgemm(transA, transB, m, n, k, float32(alpha), asF32(a), lda, asF32(b), ldb, float32(beta), asF32(c), ldc)
		return
	}
	if k == 0 {
		// gonum wants leading dimensions of at least 1 even for empty A and
		// B; C = beta·C is all there is to do.
		gemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas64.Implementation().Dgemm(blasTrans(transA), blasTrans(transB), m, n, k,
		float64(alpha), asF64(a), lda, asF64(b), ldb, float64(beta), asF64(c), ldc)
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// asF64 reinterprets a slice of an 8-byte Float type as []float64.
func asF64[T Float](x []T) []float64 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&x[0])), len(x))
}

// asF32 reinterprets a slice of a 4-byte Float type (float32 or a named
// type based on it) as []float32 without copying.
func asF32[T Float](x []T) []float32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&x[0])), len(x))
}

// checkGemm panics with a "kernels: Gemm: ..." message when the dimensions
// and slices cannot describe the matrices Gemm is asked to use.
func checkGemm(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	// Rows and columns of A, B as stored (before the transpose).
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("A", ar, ac, lenA, lda)
	checkMatrix("B", br, bc, lenB, ldb)
	checkMatrix("C", m, n, lenC, ldc)
}

func checkMatrix(name string, rows, cols, length, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: Gemm: ld%s=%d is smaller than the %d columns of %s as stored", lower(name), ld, cols, name))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("kernels: Gemm: len(%s)=%d is too short for a %d×%d matrix with ld%s=%d (need %d)",
			lower(name), length, rows, cols, lower(name), ld, need))
	}
}

func lower(name string) string { return string(name[0] + 'a' - 'A') }
