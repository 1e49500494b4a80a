//go:build noasm || !(amd64 || arm64)

package kernels

const useAVX2 = false

func paths() []string { return []string{"go"} }

func setPath(string) {}

func microKernel(kc int, a, b, c []float32, ldc int, beta float32) {
	microKernelGo(kc, a, b, c, ldc, beta)
}

func packBRows(kc, panels int, b []float32, ldb int, dst []float32) {
	packBRowsGo(kc, panels, b, ldb, dst)
}

func transpose8(n8 int, src []float32, lds int, dst []float32, ldd int) bool { return false }

// edgeWidth: the portable kernel has only the full width.
func edgeWidth(w int) int { return nr }

func edgeKernel(kc, wp int, a, b, c []float32, ldc int) {
	microKernelGo(kc, a, b, c, ldc, 0)
}

// pairKernel: no 8-row kernel here.
func pairKernel(kc int, a, b, c []float32, ldc int, beta float32) bool { return false }

func packA4(kc int, a []float32, lda int, dst []float32, alpha float32) int { return 0 }
