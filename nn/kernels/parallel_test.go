package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestGemmParallelBitIdentical: every thread count gives exactly the bits
// of the serial Gemm, on shapes split by columns and by rows, with all
// transposes and beta ≠ 0 (whose edge tiles take a different code path).
func TestGemmParallelBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{32, 5000, 147}, {50, 500, 600}, {500, 30, 50}, {97, 61, 300}, {3, 2000, 70}}
	for _, s := range shapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				m, n, k := s[0], s[1], s[2]
				ar, ac := m, k
				if ta {
					ar, ac = k, m
				}
				br, bc := k, n
				if tb {
					br, bc = n, k
				}
				a := randMatrix(rng, ar, ac, ac+1)
				b := randMatrix(rng, br, bc, bc+2)
				c0 := randMatrix(rng, m, n, n+3)
				want := append([]float32(nil), c0...)
				Gemm(ta, tb, m, n, k, 0.5, a, ac+1, b, bc+2, 0.25, want, n+3)
				for _, threads := range []int{2, 3, 8} {
					got := append([]float32(nil), c0...)
					GemmParallel(threads, ta, tb, m, n, k, 0.5, a, ac+1, b, bc+2, 0.25, got, n+3)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%dx%dx%d transA=%v transB=%v threads=%d: C[%d] = %g, serial %g",
								m, n, k, ta, tb, threads, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestGemmParallelMatchesReference checks the split itself (the offsets of
// the blocks of A, B and C) against the reference on the awkward shapes,
// splitting even the smallest products.
func TestGemmParallelMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, threads := range []int{2, 3} {
		split := func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			gemmSplit(threads, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		}
		for _, tc := range allCases() {
			runCaseWith(t, tc, rng, split)
		}
	}
}
