//go:build amd64 && !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestSgemmGoKernel runs the portable micro-kernel and packing in the
// default build too, so both paths are checked on every machine that runs
// the assembly (CI also runs the whole suite with -tags noasm).
func TestSgemmGoKernel(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2: the other tests already run the Go kernel")
	}
	useAVX2 = false
	defer func() { useAVX2 = true }()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range allCases() {
		runCase(t, tc, rng)
	}
}
