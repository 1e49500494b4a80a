//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// hasNEON says the CPU has Advanced SIMD (every arm64 CPU Go runs on does;
// checked all the same, like the amd64 features).
var hasNEON = cpu.ARM64.HasASIMD

// useNEON selects the assembly micro-kernel (see SetPath).
var useNEON = hasNEON

func paths() []string {
	if hasNEON {
		return []string{"neon", "go"}
	}
	return []string{"go"}
}

func setPath(name string) { useNEON = name == "neon" }

// kernel4x24NEON is microKernelGo in NEON assembly (sgemm_arm64.s): FMLA
// is a fused multiply-add per lane, so the bits are those of fma32. kc
// must be at least 1.
//
//go:noescape
func kernel4x24NEON(kc int, a, b, c *float32, ldc int, beta float32)

func microKernel(kc int, a, b, c []float32, ldc int, beta float32) {
	if !useNEON {
		microKernelGo(kc, a, b, c, ldc, beta)
		return
	}
	// Bounds the assembly relies on, checked once per tile.
	_ = a[kc*mr-1]
	_ = b[kc*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	kernel4x24NEON(kc, &a[0], &b[0], &c[0], ldc, beta)
}
