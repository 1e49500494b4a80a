package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// forEachPath runs f once with each kernel path this machine has, and
// restores the default path afterwards.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	def := Path()
	defer SetPath(def)
	for _, p := range Paths() {
		if err := SetPath(p); err != nil {
			t.Fatal(err)
		}
		t.Run(p, f)
	}
}

// TestSgemmEveryPath runs the oracle comparison on every kernel path, so
// the portable micro-kernel and packing are checked on machines that run
// assembly too (CI also runs the whole suite with -tags noasm).
func TestSgemmEveryPath(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, tc := range allCases() {
			runCase(t, tc, rng)
		}
	})
}

// sgemmCanon is the definition every path must meet bit for bit: k is cut
// into the blocks sgemmWith uses; within a block each element accumulates
// fma32(alpha·A[i,p], B[p,j], acc) from acc = 0 in the order of p; the
// first block gives C = fma32(beta, C, acc) (acc when beta is 0), later
// blocks C += acc.
func sgemmCanon(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	kSteps := (k + kcBlock - 1) / kcBlock
	kcStep := (k + kSteps - 1) / kSteps
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			cij := c[i*ldc+j]
			for pc := 0; pc < k; pc += kcStep {
				var acc float32
				for p := pc; p < min(pc+kcStep, k); p++ {
					ai, bi := i*lda+p, p*ldb+j
					if transA {
						ai = p*lda + i
					}
					if transB {
						bi = j*ldb + p
					}
					av, bv := a[ai], b[bi]
					acc = fma32(float32(alpha*av), bv, acc)
				}
				switch {
				case pc > 0:
					cij += acc
				case beta == 0:
					cij = acc
				default:
					cij = fma32(beta, cij, acc)
				}
			}
			c[i*ldc+j] = cij
		}
	}
}

// TestSgemmSameBitsEveryPath: every path, serial and split over threads,
// gives exactly the bits of sgemmCanon on the awkward shapes and on
// products cut into several k blocks.
func TestSgemmSameBitsEveryPath(t *testing.T) {
	cases := allCases()
	cases = append(cases, gemmCase{9, 30, 3*kcBlock + 5, false, true, 0.75, 0.5, 1}, gemmCase{5, 53, kcBlock + 1, true, false, 1, 1, 0},
		// B read in place (directB, m ≤ mcBlock): full panels, a partial
		// one, an odd last row of A, several k blocks, beta ≠ 0
		gemmCase{11, 3*nrMax + 5, kcBlock + 40, false, false, 1.5, 0.5, 2}, gemmCase{mcBlock, 2 * nrMax, 20, true, false, 1, -1, 1})
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, tc := range cases {
			ar, ac, br, bc := tc.m, tc.k, tc.k, tc.n
			if tc.transA {
				ar, ac = ac, ar
			}
			if tc.transB {
				br, bc = bc, br
			}
			lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
			a, b := randMatrix(rng, ar, ac, lda), randMatrix(rng, br, bc, ldb)
			c0 := randMatrix(rng, tc.m, tc.n, ldc)
			want := append([]float32(nil), c0...)
			sgemmCanon(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, lda, b, ldb, float32(tc.beta), want, ldc)
			for _, threads := range []int{1, 3} {
				got := append([]float32(nil), c0...)
				gemmSplit(threads, 1, tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, lda, b, ldb, float32(tc.beta), got, ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v threads=%d: C[%d] = %g (%#x), canonical %g (%#x)", tc, threads, i,
							got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	})
}
