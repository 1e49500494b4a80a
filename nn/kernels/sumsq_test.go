package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sumSquaresNaive is the definition of SumSquares written plainly.
func sumSquaresNaive(x []float32) float64 {
	var s [4]float64
	n := len(x) / 4 * 4
	for i := 0; i < n; i++ {
		s[i%4] += float64(float64(x[i]) * float64(x[i]))
	}
	for i := n; i < len(x); i++ {
		s[0] += float64(float64(x[i]) * float64(x[i]))
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

func TestSumSquares(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 13, 1001, 100003} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*5))
		}
		got, want := SumSquares(x), sumSquaresNaive(x)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("n=%d: SumSquares = %v, naive %v", n, got, want)
		}
		var exact float64
		for _, v := range x {
			exact += float64(v) * float64(v)
		}
		if math.Abs(got-exact) > 1e-12*exact {
			t.Errorf("n=%d: SumSquares = %v, plain sum %v", n, got, exact)
		}
	}
}

func BenchmarkSumSquares(b *testing.B) {
	x := make([]float32, 8192*500)
	for b.Loop() {
		SumSquares(x)
	}
}
