package kernels

import (
	"math/rand/v2"
	"sync"
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

// TestSgemmConcurrentCallers: Gemm and GemmParallel called from several
// goroutines at once (trials of a sweep) share only the scratch pool, and
// each result equals the one computed alone.
func TestSgemmConcurrentCallers(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	type job struct {
		m, n, k  int
		a, b, c  []float32
		want     []float32
		parallel bool
	}
	var jobs []*job
	for i := range 8 {
		m, n, k := 5+rng.IntN(60), 30+rng.IntN(200), 1+rng.IntN(600)
		j := &job{m: m, n: n, k: k, a: randMatrix(rng, m, k, k), b: randMatrix(rng, k, n, n), parallel: i%2 == 1}
		j.want = make([]float32, m*n)
		Gemm(false, false, m, n, k, 1, j.a, k, j.b, n, 0, j.want, n)
		j.c = make([]float32, m*n)
		jobs = append(jobs, j)
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			for range 20 {
				if j.parallel {
					GemmParallel(2, false, false, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, j.c, j.n)
				} else {
					Gemm(false, false, j.m, j.n, j.k, 1, j.a, j.k, j.b, j.n, 0, j.c, j.n)
				}
			}
		})
	}
	wg.Wait()
	for i, j := range jobs {
		for x := range j.c {
			if j.c[x] != j.want[x] {
				t.Fatalf("job %d (%dx%dx%d): C[%d] = %g concurrently, %g alone", i, j.m, j.n, j.k, x, j.c[x], j.want[x])
			}
		}
	}
}

// TestSplitNoAllocs: warmed-up GemmParallel and AdamParallel calls reuse
// their pooled jobs and helper goroutines. A helper that has not yet gone
// back to waiting when the next call hands out work is replaced by a new
// one (one allocation, rarely), so the bound is below one per call, not 0.
func TestSplitNoAllocs(t *testing.T) {
	m, n, k := 64, 480, 300
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	w, g, mm, v := make([]float32, 4*adamChunk), make([]float32, 4*adamChunk), make([]float32, 4*adamChunk), make([]float32, 4*adamChunk)
	cs := testConsts(1, true)
	call := func() {
		GemmParallel(2, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		AdamParallel(2, w, g, mm, v, cs)
	}
	call()
	if allocs := testing.AllocsPerRun(20, call); allocs >= 1 {
		t.Errorf("GemmParallel + AdamParallel allocate %.2f times per call once warmed up", allocs)
	}
}

// marks records which indices a ParallelRange call covered, and how often.
type marks struct{ hits []int }

func (m *marks) Range(lo, hi int) {
	for i := lo; i < hi; i++ {
		m.hits[i]++
	}
}

func TestParallelRangeCoversOnce(t *testing.T) {
	for _, c := range []struct{ threads, n, minPer int }{{1, 10, 1}, {2, 10, 1}, {3, 10, 1}, {4, 3, 1}, {8, 100, 20}, {2, 0, 1}, {2, 1, 4}} {
		m := &marks{hits: make([]int, c.n)}
		ParallelRange(c.threads, c.n, c.minPer, m)
		for i, h := range m.hits {
			if h != 1 {
				t.Fatalf("%+v: index %d run %d times", c, i, h)
			}
		}
	}
}
