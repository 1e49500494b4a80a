//go:build !linux

package nn

// processCPUSeconds is not available here; benchmarks then report only the
// wall-clock figures.
func processCPUSeconds() float64 { return 0 }
