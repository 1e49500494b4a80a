//go:build !linux

package kernels

// threadCPUSeconds is not available here; benchmarks then report only the
// wall-clock GFLOP/s.
func threadCPUSeconds() float64 { return 0 }
