//go:build !noasm

package kernels

// adamAVX2 is AdamRef on n8 blocks of 8 elements (adam_amd64.s).
//
//go:noescape
func adamAVX2(n8 int, w, grad, m, v *float32, c *AdamConsts)

// adamVec runs the vector kernel on the largest multiple of 8 elements of w
// and returns how many it did.
func adamVec(w, g, m, v []float32, c *AdamConsts) int {
	n8 := len(w) / 8
	if !useAVX2 || n8 == 0 {
		return 0
	}
	n := n8 * 8
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX2(n8, &w[0], &g[0], &m[0], &v[0], c)
	return n
}

// sumSquaresAVX2 adds the squares of x[4i+j], i < n4, to s[j] in index
// order (sumsq_amd64.s).
//
//go:noescape
func sumSquaresAVX2(n4 int, x *float32, s *[4]float64)

// sumSquaresVec runs the vector kernel on the largest multiple of 4
// elements of x and returns how many it did.
func sumSquaresVec(x []float32, s *[4]float64) int {
	n4 := len(x) / 4
	if !useAVX2 || n4 == 0 {
		return 0
	}
	sumSquaresAVX2(n4, &x[0], s)
	return n4 * 4
}
