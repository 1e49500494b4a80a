package kernels

import "unsafe"

// Rows is a matrix whose rows are computed on demand instead of stored: Row
// writes its elements (r, c0), (r, c0+1), … into dst, len(dst) of them. A
// GEMM operand given this way (im2col's column matrix) never exists whole:
// GemmRows packs it block by block straight from its source.
type Rows[T Float] interface {
	Row(r, c0 int, dst []T)
}

// GemmRows is GemmParallel (Gemm for threads ≤ 1) with B given by rows: op(B)
// is the k×n matrix b, or, when transB, the transpose of the n×k matrix b.
// The result is bit-identical to Gemm's on the stored matrix. float32 packs
// B from b as it goes; other types store b whole first.
func GemmRows[T Float](threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b Rows[T], beta T, c []T, ldc int) {
	const minWork = 1 << 18 // as GemmParallel's
	gemmRowsSplit(threads, minWork, transA, transB, m, n, k, alpha, a, lda, b, beta, c, ldc)
}

// gemmRowsSplit is GemmRows with gemmSplit's threshold of work per
// goroutine as a parameter, so tests can split tiny products.
func gemmRowsSplit[T Float](threads, minWork int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b Rows[T], beta T, c []T, ldc int) {
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkGemm(transA, transB, m, n, k, len(a), lda, br*bc, max(bc, 1), len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	src, ok := b.(Rows[float32])
	if !ok || unsafe.Sizeof(alpha) != 4 {
		stored := make([]T, br*bc)
		for r := 0; r < br; r++ {
			b.Row(r, 0, stored[r*bc:][:bc])
		}
		gemmSplit(threads, minWork, transA, transB, m, n, k, alpha, a, lda, stored, max(bc, 1), beta, c, ldc)
		return
	}
	a32, c32 := asF32(a), asF32(c)
	if alpha == 0 || k == 0 {
		scaleC(m, n, float32(beta), c32, ldc)
		return
	}
	threads = min(threads, max(1, m*n*k/minWork))
	if threads > 1 && (n+nr-1)/nr*((m+mr-1)/mr) >= 2 {
		splitSgemm(threads, transA, transB, m, n, k, float32(alpha), a32, lda, nil, 0, src, float32(beta), c32, ldc)
		return
	}
	s := scratchPool.get()
	s.rows = rowsB{src: src}
	sgemmWith(s, transA, transB, m, n, k, float32(alpha), a32, lda, nil, 0, float32(beta), c32, ldc)
	s.rows = rowsB{}
	scratchPool.put(s)
}
