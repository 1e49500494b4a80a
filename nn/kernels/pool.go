package kernels

import "unsafe"

// Route2x2 routes the gradient of one output row of a 2x2, stride-2 max
// pool back to its two input rows, on the bits of the float values (uint32
// for float32, which has a vector kernel; uint64 for float64): for
// window i (input columns 2i and 2i+1 of rows s0 and s1), g[i] goes to the
// first of s0[2i], s0[2i+1], s1[2i], s1[2i+1] (in that order) whose bits
// equal the window's maximum m[i], or to s1[2i+1] when none does, and the
// other three pixels of d0, d1 get 0; with relu set, a maximum of +0 (the
// fused ReLU cut the window off) routes nothing. Every pixel of the
// len(m) windows is written. This loop is the reference the vector kernel
// matches bit for bit (it only selects, never computes).
func Route2x2[U uint32 | uint64](s0, s1, m, g, d0, d1 []U, relu bool) {
	n := len(m)
	s0, s1, d0, d1, g = s0[:2*n], s1[:2*n], d0[:2*n], d1[:2*n], g[:n]
	i := 0
	if unsafe.Sizeof(U(0)) == 4 {
		i = route2x2Vec(asU32(s0), asU32(s1), asU32(m), asU32(g), asU32(d0), asU32(d1), relu)
	}
	for ; i < n; i++ {
		mi := m[i]
		h0 := eqMask(s0[2*i], mi)
		h1 := eqMask(s0[2*i+1], mi) &^ h0
		h2 := eqMask(s1[2*i], mi) &^ (h0 | h1)
		h3 := ^(h0 | h1 | h2)
		gi := g[i]
		if relu && mi == 0 {
			gi = 0
		}
		d0[2*i], d0[2*i+1], d1[2*i], d1[2*i+1] = gi&h0, gi&h1, gi&h2, gi&h3
	}
}

// eqMask is all ones when a == b, else 0, without a branch.
func eqMask[U uint32 | uint64](a, b U) U {
	d := a ^ b
	return (d|-d)>>(8*unsafe.Sizeof(d)-1) - 1
}

// asU32 reinterprets a slice of a 4-byte unsigned type as []uint32.
func asU32[U uint32 | uint64](x []U) []uint32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&x[0])), len(x))
}

// Max2x2 is the forward pass of a 2x2, stride-2 max pool over rows output
// rows of n windows: output row y (at dst[y*ldd:]) takes input rows 2y and
// 2y+1 (at s[2y*lds:] and s[(2y+1)*lds:]), and dst[y*ldd+i] is Go's
// max(s0[2i], s0[2i+1], s1[2i], s1[2i+1]) (NaN when one is NaN, +0 above
// -0), then max(·, 0) with relu set. The float32 vector kernel takes the
// maximum of the values' sortable integer images, which orders them exactly
// as max does short of NaN; a plane holding a NaN is redone by this loop, so
// every path gives the same bits.
func Max2x2[T Float](s []T, lds int, dst []T, ldd, rows, n int, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = s[(2*rows-1)*lds+2*n-1], dst[(rows-1)*ldd+n-1]
	if s32, ok := any(s).([]float32); ok && max2x2Vec(s32, lds, any(dst).([]float32), ldd, rows, n, relu) {
		return
	}
	for y := range rows {
		r0, r1 := s[2*y*lds:][:2*n], s[(2*y+1)*lds:][:2*n]
		d := dst[y*ldd:][:n]
		for i := range d {
			m := max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
			if relu {
				m = max(m, 0)
			}
			d[i] = m
		}
	}
}
