package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// storedRows serves a stored matrix as Rows, failing the test on any
// request outside it.
type storedRows[T Float] struct {
	t          *testing.T
	x          []T
	rows, cols int
	ld         int
}

func (s *storedRows[T]) Row(r, c0 int, dst []T) {
	if r < 0 || r >= s.rows || c0 < 0 || c0+len(dst) > s.cols {
		s.t.Fatalf("Row(%d, %d, len %d) outside the %d×%d matrix", r, c0, len(dst), s.rows, s.cols)
	}
	copy(dst, s.x[r*s.ld+c0:][:len(dst)])
}

// TestGemmRowsMatchesGemm: B given by rows gives exactly Gemm's bits on the
// stored matrix, on every kernel path, serially and split over 2 and 3
// goroutines (even the smallest products), never asking for a row or
// column outside B; through runCaseWith, also the reference within
// rounding and C untouched outside its m×n part.
func TestGemmRowsMatchesGemm(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		threadCounts, cases := []int{1, 2, 3}, allCases()
		if testing.Short() { // (CI's emulated arm64 run): a third of the cases
			threadCounts = []int{1, 3}
			for i := range len(cases) / 3 {
				cases[i] = cases[3*i]
			}
			cases = cases[:len(cases)/3]
		}
		for _, threads := range threadCounts {
			rows := func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				br, bc := k, n
				if transB {
					br, bc = n, k
				}
				want := append([]float32(nil), c...)
				Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
				gemmRowsSplit(threads, 1, transA, transB, m, n, k, alpha, a, lda, &storedRows[float32]{t, b, br, bc, ldb}, beta, c, ldc)
				for i := range c {
					if c[i] != want[i] && !(c[i] != c[i] && want[i] != want[i]) {
						t.Fatalf("threads %d %dx%dx%d transA=%v transB=%v: C[%d] = %g, Gemm %g", threads, m, n, k, transA, transB, i, c[i], want[i])
					}
				}
			}
			for _, tc := range cases {
				runCaseWith(t, tc, rng, rows)
			}
		}
	})
}

// TestGemmRowsFloat64 checks the other types' path (B stored whole first).
func TestGemmRowsFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, s := range [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 50, 29}} {
		for _, tb := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/transB=%v", s, tb), func(t *testing.T) {
				m, n, k := s[0], s[1], s[2]
				br, bc := k, n
				if tb {
					br, bc = n, k
				}
				a, b := make([]float64, m*k), make([]float64, br*bc)
				for i := range a {
					a[i] = rng.NormFloat64()
				}
				for i := range b {
					b[i] = rng.NormFloat64()
				}
				want, got := make([]float64, m*n), make([]float64, m*n)
				Gemm(false, tb, m, n, k, 1.5, a, k, b, bc, 0, want, n)
				GemmRows(2, false, tb, m, n, k, 1.5, a, k, &storedRows[float64]{t, b, br, bc, bc}, 0, got, n)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("C[%d] = %g, Gemm %g", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestGemmRowsNoAllocs: a warmed-up float32 GemmRows allocates nothing,
// serial or split (the split's bound as in TestSplitNoAllocs).
func TestGemmRowsNoAllocs(t *testing.T) {
	m, n, k := 32, 2000, 147
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	src := &storedRows[float32]{t, b, k, n, n} // k×n, and as Bᵀ for the k×n·n×k product
	for _, threads := range []int{1, 2} {
		call := func() {
			GemmRows(threads, false, false, m, n, k, 1, a, k, src, 0, c, n)
			GemmRows(threads, false, true, m, k, n, 1, c, n, src, 0, a, k)
		}
		call()
		if allocs := testing.AllocsPerRun(20, call); allocs >= 1 {
			t.Errorf("threads %d: GemmRows allocates %.2f times per call once warmed up", threads, allocs)
		}
	}
}
