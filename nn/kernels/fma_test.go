package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fmaOracle computes a·b + c exactly with math/big and rounds it once to
// float32 (nearest, ties to even, subnormals and overflow included).
type fmaOracle struct{ x, y, z *big.Float }

func newFMAOracle() *fmaOracle {
	// 600 bits hold any sum of a float32 product (exponents down to 2^-298)
	// and a float32 (up to 2^128) exactly.
	f := func() *big.Float { return new(big.Float).SetPrec(600) }
	return &fmaOracle{f(), f(), f()}
}

func (o *fmaOracle) fma(a, b, c float32) float32 {
	if isInfOrNaN32(a) || isInfOrNaN32(b) || isInfOrNaN32(c) {
		return float32(float64(a)*float64(b) + float64(c))
	}
	o.x.SetFloat64(float64(a))
	o.y.SetFloat64(float64(b))
	o.z.Mul(o.x, o.y)
	o.x.SetFloat64(float64(c))
	o.z.Add(o.z, o.x)
	r, _ := o.z.Float32()
	if r == 0 {
		// big.Float has no signed zero sum rules: an exact zero sum is +0
		// unless both terms are -0 (IEEE 754, round to nearest).
		if math.Signbit(float64(a*b)) && math.Signbit(float64(c)) {
			return float32(math.Copysign(0, -1))
		}
		if o.z.Sign() == 0 {
			return 0
		}
		// A nonzero sum that underflows to zero keeps its sign.
		if o.z.Sign() < 0 {
			return float32(math.Copysign(0, -1))
		}
	}
	return r
}

func isInfOrNaN32(x float32) bool { return math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) }

func sameFloat32(x, y float32) bool {
	if x != x && y != y {
		return true
	}
	return math.Float32bits(x) == math.Float32bits(y)
}

func checkFMA(t *testing.T, o *fmaOracle, a, b, c float32) bool {
	t.Helper()
	got, want := fma32(a, b, c), o.fma(a, b, c)
	if !sameFloat32(got, want) {
		t.Errorf("fma32(%g, %g, %g) = %g (%#08x), want %g (%#08x)", a, b, c,
			got, math.Float32bits(got), want, math.Float32bits(want))
		return false
	}
	return true
}

// TestFMA32Exhaustive checks every a·b + c with a, b ∈ ±{1, 1.5, 1.75}·2^e
// and c ∈ ±{1, 1.25, 1.5, 1.75}·2^e or ±0 over the small exponents where
// float32 subnormals and the slow path live: products from 2^-160 to 2^-126
// against addends from 2^-149 to 2^-118. (Midpoints, where rounding twice
// goes wrong, need wide significands: TestFMA32Midpoints builds them.)
func TestFMA32Exhaustive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the exhaustive FMA check takes several seconds")
	}
	var ab, cs []float32
	for e := -80; e <= -64; e++ {
		for _, m := range []float64{1, 1.5, 1.75} {
			v := float32(math.Ldexp(m, e))
			ab = append(ab, v, -v)
		}
	}
	for e := -149; e <= -118; e++ {
		for i := 0; i < 4; i++ {
			v := float32(math.Ldexp(1+float64(i)/4, e))
			cs = append(cs, v, -v)
		}
	}
	cs = append(cs, 0, float32(math.Copysign(0, -1)))
	o := newFMAOracle()
	bad := 0
	for _, a := range ab {
		for _, b := range ab {
			for _, c := range cs {
				if !checkFMA(t, o, a, b, c) {
					if bad++; bad > 10 {
						t.Fatal("too many failures")
					}
				}
			}
		}
	}
}

// TestFMA32Midpoints checks sums built to fall within a float64 ulp of a
// float32 midpoint, where rounding twice goes wrong, at every exponent of
// c (subnormal to overflow), and sums at the overflow threshold.
func TestFMA32Midpoints(t *testing.T) {
	o := checkRandomFMA(t, 200000, 1, func(rng *rand.Rand) (a, b, c float32) {
		// c with any exponent; p = ±half an ulp of c (or an odd multiple)
		// times (1 ± k²·2^-46), which is a·b for a = 2^ea(1+k·2^-23),
		// b = 2^eb(1∓k·2^-23).
		c = math.Float32frombits(rng.Uint32()&^(0xff<<23) | uint32(rng.IntN(255))<<23)
		ulpExp := max(int(math.Float32bits(c)>>23&0xff), 1) - 127 - 23
		k := float64(1 + rng.IntN(1<<11))
		odd := float64(2*rng.IntN(4) + 1)
		e := ulpExp - 1
		ea := e / 2
		eb := e - ea
		bsign := 1.0
		if rng.IntN(2) == 0 {
			bsign = -1
		}
		if rng.IntN(2) == 0 {
			return float32(math.Ldexp(odd*(1-k/(1<<23)), ea)), float32(math.Ldexp(bsign*(1+k/(1<<23)), eb)), c
		}
		return float32(math.Ldexp(odd*(1+k/(1<<23)), ea)), float32(math.Ldexp(bsign*(1-k/(1<<23)), eb)), c
	})
	max32 := float32(math.MaxFloat32)
	for _, tc := range [][3]float32{
		{1, max32, max32}, {-1, max32, -max32}, {0x1p104, 0x1p-1, max32}, {0x1p103, 1 - 0x1p-23, max32},
		{0x1p103, 1 + 0x1p-23, max32}, {0x1p-75, 0x1p-75, 0}, {0x1p-75, 0x1p-75, -0x1p-149},
		{0x1p-75, 0x1.8p-75, 0x1p-149}, {-0x1p-100, 0x1p-100, 0}, {1, 1, -1}, {0, -1, 0},
		{float32(math.Copysign(0, -1)), 1, float32(math.Copysign(0, -1))},
		{float32(math.Inf(1)), 1, 1}, {float32(math.Inf(1)), 0, 1}, {float32(math.NaN()), 1, 1},
		{1 + 0x1p-23, 1 - 0x1p-23, 0x1p24 + 2}, {1 + 0x1p-23, 1 - 0x1p-23, -(0x1p24 + 2)},
	} {
		checkFMA(t, o, tc[0], tc[1], tc[2])
	}
}

// TestFMA32Random checks random bit patterns (all exponents) and random
// values of comparable magnitude, where cancellation is common.
func TestFMA32Random(t *testing.T) {
	checkRandomFMA(t, 300000, 3, func(rng *rand.Rand) (a, b, c float32) {
		if rng.IntN(2) == 0 {
			return math.Float32frombits(rng.Uint32()), math.Float32frombits(rng.Uint32()), math.Float32frombits(rng.Uint32())
		}
		a, b = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		return a, b, -float32(float64(a)*float64(b)) * float32(1+rng.NormFloat64()*1e-3)
	})
}

// checkRandomFMA checks fma32 against the oracle on n (n/10 with -short)
// triples drawn by gen, and returns the oracle.
func checkRandomFMA(t *testing.T, n int, seed uint64, gen func(*rand.Rand) (a, b, c float32)) *fmaOracle {
	t.Helper()
	o := newFMAOracle()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	if testing.Short() {
		n /= 10
	}
	bad := 0
	for range n {
		a, b, c := gen(rng)
		if !checkFMA(t, o, a, b, c) {
			if bad++; bad > 10 {
				t.Fatal("too many failures")
			}
		}
	}
	return o
}
