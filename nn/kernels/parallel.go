package kernels

import (
	"unsafe"
)

// GemmParallel is Gemm run on up to threads goroutines, for a caller that
// knows cores are idle (a trial running alone); a sweep that already runs
// one trial per core should call Gemm.
//
// The result is bit-identical to Gemm's: C is cut into column blocks (or
// row blocks when it has few columns) on micro-tile boundaries, each element
// is computed by exactly one goroutine, and the k loop of every element is
// split and summed exactly as in the serial call. threads ≤ 1, float64 and
// products too small to pay for the goroutines run serially.
func GemmParallel[T Float](threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	// Below this many multiply-adds per goroutine, starting and joining
	// goroutines (a few µs) costs more than it saves.
	const minWork = 1 << 18
	gemmSplit(threads, minWork, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmSplit is GemmParallel with the threshold of work per goroutine as a
// parameter, so tests can split tiny products.
func gemmSplit[T Float](threads, minWork int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	tilesN := (n + nr - 1) / nr
	tilesM := (m + mr - 1) / mr
	var zero T
	if threads > 1 && k > 0 && alpha != 0 {
		threads = min(threads, max(1, m*n*k/minWork))
	}
	if threads <= 1 || m == 0 || n == 0 || k == 0 || alpha == 0 || unsafe.Sizeof(zero) != 4 || tilesN*tilesM < 2 {
		Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	checkGemm(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	splitSgemm(threads, transA, transB, m, n, k, float32(alpha), asF32(a), lda, asF32(b), ldb, nil, float32(beta), asF32(c), ldc)
}

// splitJob is one split call: its arguments, how C is cut, and one packing
// scratch per part. Jobs are pooled as a unit: parts taking their own
// scratch from a pool would miss whenever the free ones sit in another
// P's private slot, and allocate; a pooled job also lets forParts hand it to
// helpers without allocating.
type splitJob struct {
	scratch []*scratch
	join    joiner

	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
	src            Rows[float32] // B given by rows instead of b
	splitN         bool
	tiles, tile    int
	threads        int
}

var jobPool freeList[splitJob]

// splitSgemm runs sgemm on up to threads goroutines, cutting C on
// micro-tile boundaries, with B read from src when it is not nil.
// Arguments are validated; m, n, k > 0, alpha ≠ 0.
func splitSgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, src Rows[float32], beta float32, c []float32, ldc int) {
	tilesN := (n + nr - 1) / nr
	tilesM := (m + mr - 1) / mr
	// Split the dimension with more tiles; splitting n repacks A in every
	// goroutine and splitting m repacks B, so prefer n unless it is short.
	splitN := tilesN >= 2*threads || tilesN >= tilesM
	tiles, tile := tilesM, mr
	if splitN {
		// Cut n at a third of a panel (one vector: 16 columns on the
		// AVX-512 path): whole panels split the conv weight gradient's
		// 147 columns 96/51 over two threads, thirds 80/67.
		tiles, tile = (n+nr/3-1)/(nr/3), nr/3
	}
	threads = min(threads, tiles, 64)
	j := jobPool.get()
	for len(j.scratch) < threads {
		j.scratch = append(j.scratch, new(scratch))
	}
	j.transA, j.transB, j.m, j.n, j.k, j.alpha, j.beta = transA, transB, m, n, k, alpha, beta
	j.a, j.b, j.c, j.lda, j.ldb, j.ldc, j.src = a, b, c, lda, ldb, ldc, src
	j.splitN, j.tiles, j.tile, j.threads = splitN, tiles, tile, threads
	forParts(threads, j, &j.join)
	j.a, j.b, j.c, j.src = nil, nil, nil, nil // do not keep the caller's matrices alive in the pool
	for _, s := range j.scratch[:threads] {
		s.rows = rowsB{}
	}
	jobPool.put(j)
}

// part computes the t-th block of C.
func (j *splitJob) part(t int) {
	lo := j.tiles * t / j.threads * j.tile
	s := j.scratch[t]
	if j.src != nil {
		s.rows = rowsB{src: j.src}
	}
	if j.splitN {
		hi := min(j.tiles*(t+1)/j.threads*j.tile, j.n)
		b := j.b
		switch ob := lo; {
		case j.src != nil && j.transB:
			s.rows.r0 = ob
		case j.src != nil:
			s.rows.c0 = ob
		case j.transB:
			b = b[ob*j.ldb:] // first column of op(B) is row lo of the stored Bᵀ…
		default:
			b = b[ob:] // …or column lo of B
		}
		sgemmWith(s, j.transA, j.transB, j.m, hi-lo, j.k, j.alpha, j.a, j.lda, b, j.ldb, j.beta, j.c[lo:], j.ldc)
		return
	}
	hi := min(j.tiles*(t+1)/j.threads*j.tile, j.m)
	oa := lo * j.lda // first row of op(A) is row lo of A…
	if j.transA {
		oa = lo // …or column lo of the stored Aᵀ
	}
	sgemmWith(s, j.transA, j.transB, hi-lo, j.n, j.k, j.alpha, j.a[oa:], j.lda, j.b, j.ldb, j.beta, j.c[lo*j.ldc:], j.ldc)
}
