package kernels

// gemmRef is the reference GEMM, the oracle every fast path is tested
// against and the path float64 takes. It is the definition of Gemm:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			s := Σ_p op(A)[i,p]·op(B)[p,j]   (p = 0, 1, …, k-1, in order)
//			C[i,j] = alpha·s + beta·C[i,j]   (C[i,j] = alpha·s when beta == 0)
//		}
//	}
//
// with op(A)[i,p] = a[i*lda+p] (a[p*lda+i] when transA) and
// op(B)[p,j] = b[p*ldb+j] (b[j*ldb+p] when transB).
func gemmRef[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += T(av * bv) // rounded: never fused, on any machine
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = T(alpha*s) + T(beta*c[i*ldc+j])
			}
		}
	}
}
