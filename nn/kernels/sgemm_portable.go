//go:build noasm || !amd64

package kernels

// Without the amd64 assembly, packing runs in Go and every tile, edges
// included, goes through microKernel (NEON on arm64, else Go).

func packBRows(rows, panels int, b []float32, ldb int, dst []float32, kc int) {
	packBRowsGo(rows, panels, b, ldb, dst, kc)
}

func transpose8(n8 int, src []float32, lds int, dst []float32, ldd int) bool { return false }

// edgeWidth: only the full width.
func edgeWidth(w int) int { return nr }

func edgeKernel(kc, wp int, a, b, c []float32, ldc int) {
	microKernel(kc, a, b, c, ldc, 0)
}

// directB: every path here packs B.
func directB() bool { return false }

func macroKernelDirect(mc, nc, kc int, ap, b []float32, ldb int, beta float32, c []float32, ldc, next int) {
	panic("kernels: macroKernelDirect without directB")
}

// wideKernels: no AVX-512 path here.
func wideKernels(mc, nc, kc int, ap, bp []float32, beta float32, c []float32, ldc int) bool {
	return false
}

func packA4(kc int, a []float32, lda int, dst []float32, alpha float32) int { return 0 }
