package kernels

// SumSquares returns Σ x[i]² in float64 as four interleaved partial sums,
// s_j = Σ_{i ≡ j mod 4} x[i]², each accumulated in index order, combined as
// (s0 + s1) + (s2 + s3). Every square and sum is rounded separately in
// float64, so the vector kernel (one AVX2 lane per partial sum) and the Go
// loop give the same bits. Splitting the sum breaks the add latency chain;
// the fixed order keeps the result the same on every run.
func SumSquares(x []float32) float64 {
	var s [4]float64
	i := sumSquaresVec(x, &s)
	for ; i+4 <= len(x); i += 4 {
		w0, w1, w2, w3 := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s[0] += float64(w0 * w0)
		s[1] += float64(w1 * w1)
		s[2] += float64(w2 * w2)
		s[3] += float64(w3 * w3)
	}
	for ; i < len(x); i++ {
		s[0] += float64(float64(x[i]) * float64(x[i]))
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}
