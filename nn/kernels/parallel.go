package kernels

import (
	"sync"
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
	splitSgemm(threads, transA, transB, m, n, k, float32(alpha), asF32(a), lda, asF32(b), ldb, float32(beta), asF32(c), ldc)
}

// workerScratch is one packing scratch per goroutine of a split call, taken
// from the pool as a unit: workers taking their own from sync.Pool would miss
// whenever the free ones sit in another P's private slot, and allocate.
type workerScratch []*scratch

var workerPool = sync.Pool{New: func() any { return new(workerScratch) }}

// splitSgemm runs sgemm on up to threads goroutines, cutting C on
// micro-tile boundaries. Arguments are validated; m, n, k > 0, alpha ≠ 0.
func splitSgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tilesN := (n + nr - 1) / nr
	tilesM := (m + mr - 1) / mr
	// Split the dimension with more tiles; splitting n repacks A in every
	// goroutine and splitting m repacks B, so prefer n unless it is short.
	splitN := tilesN >= 2*threads || tilesN >= tilesM
	tiles, tile := tilesM, mr
	if splitN {
		tiles, tile = tilesN, nr
	}
	threads = min(threads, tiles)
	ws := workerPool.Get().(*workerScratch)
	for len(*ws) < threads {
		*ws = append(*ws, new(scratch))
	}
	part := func(t int) {
		lo := tiles * t / threads * tile
		if splitN {
			hi := min(tiles*(t+1)/threads*tile, n)
			ob := lo // first column of op(B) is column lo of B…
			if transB {
				ob = lo * ldb // …or row lo of the stored Bᵀ
			}
			sgemmWith((*ws)[t], transA, transB, m, hi-lo, k, alpha, a, lda, b[ob:], ldb, beta, c[lo:], ldc)
			return
		}
		hi := min(tiles*(t+1)/threads*tile, m)
		oa := lo * lda // first row of op(A) is row lo of A…
		if transA {
			oa = lo // …or column lo of the stored Aᵀ
		}
		sgemmWith((*ws)[t], transA, transB, hi-lo, n, k, alpha, a[oa:], lda, b, ldb, beta, c[lo*ldc:], ldc)
	}
	var wg sync.WaitGroup
	for t := 1; t < threads; t++ {
		wg.Go(func() { part(t) })
	}
	part(0)
	wg.Wait()
	workerPool.Put(ws)
}
