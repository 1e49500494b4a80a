package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// ulps is the distance between two float64 values in units in the last
// place.
func ulps(a, b float64) uint64 {
	ua, ub := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if ua < 0 {
		ua = math.MinInt64 - ua
	}
	if ub < 0 {
		ub = math.MinInt64 - ub
	}
	if ua > ub {
		return uint64(ua - ub)
	}
	return uint64(ub - ua)
}

// TestPortableMath compares exp, expm1 and log1p with the math package:
// within one ulp (two for math.Exp, whose amd64 assembly gives
// 2.7767410380019832 for exp(1.0212779515464177), two ulps above the
// correctly rounded 2.7767410380019824 that exp returns), and bit for bit with Go's portable Expm1 and
// Log1p where the compiler fuses nothing (amd64 v1, which the math package
// runs in Go there), which shows the rounding barriers changed no operation.
func TestPortableMath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	exact := runtime.GOARCH == "amd64"
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.3, -0.3, 0.5, 1e-300, -1e-17, 709, 710, -745, -746, 40, -40, 1e20, math.Inf(1), math.Inf(-1)}
	for range 200000 {
		xs = append(xs, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(8)-4)))
	}
	for _, x := range xs {
		// (math.Exp on amd64 overflows early, at 709.5120501284151.)
		if got, want := exp(x), math.Exp(x); ulps(got, want) > 2 && x < 709 {
			t.Fatalf("exp(%v) = %v, math.Exp %v", x, got, want)
		}
		got, want := expm1(x), math.Expm1(x)
		if ulps(got, want) > 1 || exact && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("expm1(%v) = %v, math.Expm1 %v", x, got, want)
		}
		if x < -1 {
			continue
		}
		got, want = log1p(x), math.Log1p(x)
		if ulps(got, want) > 1 || exact && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("log1p(%v) = %v, math.Log1p %v", x, got, want)
		}
	}
	if got := exp(1.0212779515464177); got != 2.7767410380019824 {
		t.Errorf("exp(1.0212779515464177) = %v, want 2.7767410380019824", got)
	}
	for _, b := range []float64{0.9, 0.999, 0.5, 1} {
		for _, n := range []int{0, 1, 2, 3, 10, 1000, 99999} {
			if got, want := powInt(b, n), math.Pow(b, float64(n)); math.Abs(got-want) > 1e-13*want {
				t.Errorf("powInt(%v, %d) = %v, math.Pow %v", b, n, got, want)
			}
		}
	}
}
