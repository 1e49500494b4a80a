//go:build !noasm

package kernels

// fmaPeakAVX512 and fmaPeakAVX2 run n rounds of independent register-only
// FMAs (peak_amd64.s), for BenchmarkFMAPeak: the ceiling every speed is
// compared with.
//
//go:noescape
func fmaPeakAVX512(n int)

//go:noescape
func fmaPeakAVX2(n int)

// fmaPeak returns the register-only FMA loop at the widest vector the CPU
// has, the flops of one of its rounds and the vector's name; nil when the
// CPU has no FMA.
func fmaPeak() (loop func(n int), flops float64, name string) {
	switch {
	case hasAVX512:
		return fmaPeakAVX512, 24 * 16 * 2, "avx512"
	case hasAVX2:
		return fmaPeakAVX2, 12 * 8 * 2, "avx2"
	}
	return nil, 0, ""
}
