//go:build noasm || !amd64

package kernels

// adamVec: the portable build leaves every element to AdamRef.
func adamVec(w, g, m, v []float32, c *AdamConsts) int { return 0 }

// sumSquaresVec: the portable build leaves every element to SumSquares.
func sumSquaresVec(x []float32, s *[4]float64) int { return 0 }

// route2x2Vec: the portable build leaves every window to Route2x2.
func route2x2Vec(s0, s1, m, g, d0, d1 []uint32, relu bool) int { return 0 }

// max2x2Vec: the portable build leaves every window to Max2x2.
func max2x2Vec(s []float32, lds int, dst []float32, ldd, rows, n int, relu bool) bool { return false }
