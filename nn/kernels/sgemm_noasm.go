//go:build noasm || !(amd64 || arm64)

package kernels

func paths() []string { return []string{"go"} }

func setPath(string) {}

func microKernel(kc int, a, b, c []float32, ldc int, beta float32) {
	microKernelGo(kc, a, b, c, ldc, beta)
}
