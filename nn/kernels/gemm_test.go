package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// sentinel fills the parts of C outside its m×n block; any change to it
// means the kernel wrote where it must not.
const sentinel = -12345.5

type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float64
	pad            int // extra columns in every leading dimension
}

func (tc gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/m%d_n%d_k%d/a%g_b%g/pad%d", t(tc.transA), t(tc.transB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad)
}

// awkwardShapes are sizes around the vector widths (8, 16), the micro-tiles
// (4×24, 4×48, 8×48) and the cache blocks (mcBlock, kcBlock, ncBlock), plus the
// degenerate ones.
var awkwardShapes = [][3]int{
	{1, 1, 1}, {1, 1, 7}, {1, 24, 1}, {4, 24, 1}, {4, 24, 8}, {5, 25, 9},
	{3, 7, 50}, {1, 100, 33}, {37, 1, 19}, {7, 9, 300}, {2, 3, 1000},
	{13, 47, 17}, {32, 49, 147}, {50, 50, 257}, {97, 23, 5}, {mcBlock + 3, 30, 40},
	{6, ncBlock + 29, 11}, {3, 2*ncBlock + 1, 2*kcBlock + 3}, {100, 70, 3},
	// the AVX-512 tiles: 8×48 (two A panels), 9×48 (m = 8q+r, r ≤ q), edges
	// of 1-7 rows and 1-47 columns
	{8, 48, 5}, {12, 96, 1}, {9, 65, 17}, {16, 145, 300}, {mcBlock + 4, 47, 2}, {26, 100, 33},
}

func allCases() []gemmCase {
	var cases []gemmCase
	ab := [][2]float64{{1, 0}, {0.5, 0}, {1, 1}, {-1.5, 0.25}, {2, -1}, {0, 0.5}}
	i := 0
	for _, s := range awkwardShapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				x := ab[i%len(ab)]
				i++
				cases = append(cases, gemmCase{s[0], s[1], s[2], ta, tb, x[0], x[1], i % 3 * 5})
			}
		}
	}
	return cases
}

// runCase runs Gemm[float32] on random data and compares it with gemmRef
// run in float64 on the same values, within a bound on float32 rounding.
func runCase(t *testing.T, tc gemmCase, rng *rand.Rand) {
	t.Helper()
	runCaseWith(t, tc, rng, Gemm[float32])
}

type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// runCaseWith is runCase for any implementation of Gemm[float32].
func runCaseWith(t *testing.T, tc gemmCase, rng *rand.Rand, gemm sgemmFunc) {
	t.Helper()
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	// Extra trailing rows check that nothing reads or writes past C.
	a := randMatrix(rng, ar, ac, lda)
	b := randMatrix(rng, br, bc, ldb)
	c := make([]float32, (tc.m+1)*ldc)
	for i := range c {
		c[i] = sentinel
	}
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			c[i*ldc+j] = float32(rng.NormFloat64())
		}
	}
	a64, b64, c64 := to64(a), to64(b), to64(c)
	absA, absB, absC := abs64(a64), abs64(b64), abs64(c64)

	gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, lda, b, ldb, float32(tc.beta), c, ldc)
	gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a64, lda, b64, ldb, tc.beta, c64, ldc)
	// bound[i,j] = |alpha|·Σ|a||b| + |beta|·|c|, the scale of the rounding error.
	gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, math.Abs(tc.alpha), absA, lda, absB, ldb, math.Abs(tc.beta), absC, ldc)

	eps := float64(tc.k+4) * 0x1p-23
	bad := 0
	for i := 0; i < tc.m+1; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if i == tc.m || j >= tc.n {
				if got != sentinel {
					t.Fatalf("%v: C[%d,%d] outside the %d×%d result changed to %g", tc, i, j, tc.m, tc.n, got)
				}
				continue
			}
			want := c64[i*ldc+j]
			if d := math.Abs(float64(got) - want); !(d <= eps*absC[i*ldc+j]+1e-30) {
				if bad++; bad < 5 {
					t.Errorf("%v: C[%d,%d] = %g, reference %g (|diff| %.3g, bound %.3g)", tc, i, j, got, want, d, eps*absC[i*ldc+j])
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%v: %d elements differ from the reference", tc, bad)
	}
}

func randMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	x := make([]float32, max(rows*ld, 1))
	for i := range x {
		x[i] = sentinel // padding: must not be read into the result
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			x[i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return x
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func abs64(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(v)
	}
	return y
}

func TestSgemmMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range allCases() {
		runCase(t, tc, rng)
	}
}

// TestSgemmRandomShapes draws shapes, transposes, alpha, beta and padding
// at random.
func TestSgemmRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		tc := gemmCase{
			m: 1 + rng.IntN(70), n: 1 + rng.IntN(90), k: 1 + rng.IntN(400),
			transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
			alpha: float64(rng.IntN(5)-2) / 2, beta: float64(rng.IntN(3)) / 2, pad: rng.IntN(3),
		}
		runCase(t, tc, rng)
	}
}

// TestGemmReferenceByHand pins the oracle itself on a 2×3·3×2 product
// worked out by hand, in all four transpose layouts.
func TestGemmReferenceByHand(t *testing.T) {
	// A = [1 2 3; 4 5 6], B = [7 8; 9 10; 11 12], A·B = [58 64; 139 154].
	a, at := []float64{1, 2, 3, 4, 5, 6}, []float64{1, 4, 2, 5, 3, 6}
	b, bt := []float64{7, 8, 9, 10, 11, 12}, []float64{7, 9, 11, 8, 10, 12}
	want := []float64{2*58 + 3, 2*64 + 3, 2*139 + 3, 2*154 + 3} // alpha 2, beta 3, C = 1
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			aa, lda := a, 3
			if ta {
				aa, lda = at, 2
			}
			bb, ldb := b, 2
			if tb {
				bb, ldb = bt, 3
			}
			c := []float64{1, 1, 1, 1}
			Gemm(ta, tb, 2, 2, 3, 2, aa, lda, bb, ldb, 3, c, 2)
			c32 := []float32{1, 1, 1, 1}
			Gemm(ta, tb, 2, 2, 3, 2, to32(aa), lda, to32(bb), ldb, 3, c32, 2)
			for i := range want {
				if c[i] != want[i] || float64(c32[i]) != want[i] {
					t.Errorf("transA=%v transB=%v: C = %v (float32 %v), want %v", ta, tb, c, c32, want)
					break
				}
			}
		}
	}
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// TestSgemmBetaZeroIgnoresC: with beta 0, NaN and Inf already in C must
// not reach the result (BLAS semantics; nn reuses buffers uninitialised).
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	// 9×100: full 8-row and 4-row tiles and edges of every path.
	forEachPath(t, func(t *testing.T) {
		for _, k := range []int{0, 3} {
			m, n := 9, 100
			a := make([]float32, m*max(k, 1))
			b := make([]float32, max(k, 1)*n)
			for i := range a {
				a[i] = 1
			}
			for i := range b {
				b[i] = 2
			}
			c := make([]float32, m*n)
			for i := range c {
				c[i] = float32(math.NaN())
			}
			c[7] = float32(math.Inf(1))
			Gemm(false, false, m, n, k, 1, a, max(k, 1), b, n, 0, c, n)
			for i, v := range c {
				if v != float32(2*k) {
					t.Fatalf("k=%d: C[%d] = %g, want %d", k, i, v, 2*k)
				}
			}
		}
	})
}

// TestSgemmNamedType: a type defined on float32 takes the fast path too.
func TestSgemmNamedType(t *testing.T) {
	type f32 float32
	a := []f32{1, 2, 3, 4}
	b := []f32{5, 6, 7, 8}
	c := make([]f32, 4)
	Gemm(false, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
	want := []f32{17, 23, 39, 53}
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("C = %v, want %v", c, want)
		}
	}
}

func TestGemmShapeErrors(t *testing.T) {
	buf := make([]float32, 12)
	cases := []struct {
		name string
		call func()
		want string
	}{
		{"negative m", func() { Gemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }, "negative dimension"},
		{"lda < k", func() { Gemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) }, "lda=2 is smaller than the 3 columns of A"},
		{"ldb < k when transposed", func() { Gemm(false, true, 2, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }, "ldb=2"},
		{"ldc < n", func() { Gemm(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf, 2) }, "ldc=2"},
		{"short c", func() { Gemm(false, false, 4, 4, 2, 1, buf, 2, buf, 4, 0, buf[:10], 4) }, "len(c)=10 is too short for a 4×4 matrix"},
		{"short a", func() { Gemm(true, false, 4, 2, 4, 1, buf[:9], 4, buf, 2, 0, buf, 2) }, "len(a)=9"},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "kernels: Gemm: ") || !strings.Contains(msg, tc.want) {
					t.Errorf("%s: panic %q, want one containing %q", tc.name, r, tc.want)
				}
			}()
			tc.call()
		}()
	}
}

// TestSgemmNoAllocs: once the free list holds a scratch, a call does not
// allocate, serial or split, even across a garbage collection.
func TestSgemmNoAllocs(t *testing.T) {
	m, n, k := 50, 500, 300
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	allocs := testing.AllocsPerRun(20, func() {
		Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		Gemm(true, true, m, n, k, 1, a, m, b, k, 1, c, n)
		runtime.GC()
	})
	if allocs != 0 {
		t.Errorf("Gemm allocates %.1f times per call pair once warmed up", allocs)
	}
}

// TestGemmFloat64 checks the float64 path (gonum's Dgemm) against gemmRef on
// every awkward case, with a sentinel around C and NaN in C when beta is 0
// (BLAS semantics: C is then not read), plus k = 0.
func TestGemmFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := append(allCases(), gemmCase{3, 4, 0, false, false, 1, 0.5, 1})
	for _, tc := range cases {
		lda, ldb, ldc := tc.k+tc.pad, tc.n+tc.pad, tc.n+tc.pad
		rowsA, rowsB := tc.m, tc.k
		if tc.transA {
			lda, rowsA = tc.m+tc.pad, tc.k
		}
		if tc.transB {
			ldb, rowsB = tc.k+tc.pad, tc.n
		}
		a, b := make([]float64, rowsA*max(lda, 1)), make([]float64, rowsB*max(ldb, 1))
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		got, want := make([]float64, tc.m*ldc), make([]float64, tc.m*ldc)
		for i := range got {
			v := sentinel
			if i%ldc < tc.n {
				v = rng.NormFloat64()
				if tc.beta == 0 {
					v = math.NaN()
				}
			}
			got[i], want[i] = v, v
		}
		if tc.beta == 0 {
			for i := range want {
				if i%ldc < tc.n {
					want[i] = 0
				}
			}
		}
		Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, max(lda, 1), b, max(ldb, 1), tc.beta, got, ldc)
		gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, max(lda, 1), b, max(ldb, 1), tc.beta, want, ldc)
		for i := range got {
			if d := math.Abs(got[i] - want[i]); !(d <= 1e-12*float64(tc.k+1)*(1+math.Abs(want[i]))) {
				t.Fatalf("%v: C[%d] = %v, want %v", tc, i, got[i], want[i])
			}
		}
	}
}
