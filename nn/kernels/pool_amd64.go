//go:build !noasm

package kernels

import "math"

// route2x2AVX512 is Route2x2 on n ≥ 1 windows (pool_amd64.s); relu is 1
// or 0, idx is route2x2Index.
//
//go:noescape
func route2x2AVX512(n int, s0, s1, m, grad, d0, d1 *uint32, relu int, idx *[64]uint32)

// route2x2Index holds the index vectors of VPERMI2D over two 16-element
// tables a‖b: the even and the odd elements (the two pixels of each window
// of a row), then the two halves of the interleave a0 b0 a1 b1 ….
var route2x2Index = func() (t [64]uint32) {
	for i := range uint32(16) {
		t[i], t[16+i] = 2*i, 2*i+1
		t[32+i], t[48+i] = i/2+i%2*16, 8+i/2+i%2*16
	}
	return t
}()

// route2x2Vec runs the vector kernel on all the windows, and returns how
// many it did (all, or none without AVX-512).
func route2x2Vec(s0, s1, m, g, d0, d1 []uint32, relu bool) int {
	n := len(m)
	if !useAVX512 || n == 0 {
		return 0
	}
	_, _, _, _, _ = s0[2*n-1], s1[2*n-1], g[n-1], d0[2*n-1], d1[2*n-1]
	r := 0
	if relu {
		r = 1
	}
	route2x2AVX512(n, &s0[0], &s1[0], &m[0], &g[0], &d0[0], &d1[0], r, &route2x2Index)
	return n
}

// max2x2AVX512 is Max2x2's vector kernel on rows ≥ 1 rows of n ≥ 1
// windows (strides in elements); floor is the ReLU's key, 0 or -2³¹. It
// returns whether an input pixel was NaN (then dst is to be redone).
//
//go:noescape
func max2x2AVX512(rows, n int, s *float32, lds int, dst *float32, ldd int, floor int32, idx *[64]uint32) bool

// max2x2Vec runs the vector kernel on the whole of Max2x2's work and
// reports whether it stands (not without AVX-512, nor when a pixel is NaN).
func max2x2Vec(s []float32, lds int, dst []float32, ldd, rows, n int, relu bool) bool {
	if !useAVX512 {
		return false
	}
	floor := int32(math.MinInt32)
	if relu {
		floor = 0
	}
	return !max2x2AVX512(rows, n, &s[0], lds, &dst[0], ldd, floor, &route2x2Index)
}
