//go:build noasm || !amd64

package kernels

// adamVec: the portable build leaves every element to AdamRef.
func adamVec(w, g, m, v []float32, c *AdamConsts) int { return 0 }
