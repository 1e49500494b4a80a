package kernels

import "math"

// fma32 returns a·b + c rounded once to float32 (round to nearest even), the
// value of one lane of VFMADD231PS (amd64) or FMLA (arm64), so that the
// portable micro-kernel gives the same bits as the assembly ones.
//
// The product of two float32 values is exact in float64 (24+24 significant
// bits < 53, and its exponent stays in range), so only the sum rounds:
// s = RN64(p + c), then RN32(s). Rounding twice can differ from rounding
// once only when s lands exactly on a midpoint between two float32 values
// while p + c does not (RN64 is monotonic, so a value that is not a
// midpoint stays on its side of every midpoint). Outside that case, and
// outside the float32 subnormal range where midpoints are coarser, one
// conversion is exact; fma32Slow handles the rest with round-to-odd.
func fma32(a, b, c float32) float32 {
	if r, ok := fma32Fast(a, b, c); ok {
		return r
	}
	return fma32Slow(a, b, c)
}

// fma32Fast is fma32 where one conversion is exact, and false where
// fma32Slow must decide. It is small enough to inline into kernels.
func fma32Fast(a, b, c float32) (float32, bool) {
	// The product is exact; the conversions forbid the compiler to fuse.
	s := float64(float64(float64(a)*float64(b)) + float64(c))
	u := math.Float64bits(s)
	// Low 29 of 52 fraction bits: 1<<28 means s is a float32 midpoint (when
	// s is a float32 normal). Magnitudes below 2^-126 go slow, except 0,
	// which is exact (float32 sums cannot underflow in float64) and common
	// (zero rows of packed panels, ReLU zeros): the subtraction of 1 wraps
	// it to the top.
	return float32(s), u&(1<<29-1) != 1<<28 && u&^(1<<63)-1 >= (1023-126)<<52-1
}

// fma32Slow is fma32 for the rare sums where rounding twice could differ
// from rounding once. With p = a·b (exact) and s = RN64(p + c), the exact error
// e = p + c - s (Knuth's TwoSum, exact in float64 without overflow) tells
// whether s is exact; if not, s is replaced by its round-to-odd neighbour
// (53 bits ≥ 24 + 2, so RN32 of the round-to-odd sum is RN32 of p + c,
// float32 subnormals included: Boldo and Melquiond, "When double rounding
// is odd", 2005).
func fma32Slow(a32, b32, c32 float32) float32 {
	p, c := float64(float64(a32)*float64(b32)), float64(c32)
	s := float64(p + c)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return float32(s)
	}
	bp := float64(s - c)
	bc := float64(s - bp)
	e := float64(float64(p-bp) + float64(c-bc))
	u := math.Float64bits(s)
	if e == 0 || u&1 == 1 {
		return float32(s)
	}
	// s is inexact with an even last bit: step one ulp toward p + c, which
	// lands on an odd significand (never across a binade boundary upward:
	// an even significand +1 does not carry; downward from a power of two
	// it gives the odd all-ones significand of the binade below).
	if (e > 0) == (s > 0) {
		u++
	} else {
		u--
	}
	return float32(math.Float64frombits(u))
}
