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
