package nn

import "fmt"

// softmaxLoss returns the mean softmax cross-entropy of scores (N, C) with
// labels y, minus ln C, and writes the gradient with respect to the scores
// into dscores (N, C): (softmax(scores) - onehot(y)) / N.
//
// The result leaves out the constant ln C (the loss of uniform scores) on
// purpose: per image the loss is ln Σⱼ exp(sⱼ-m) - (s_y-m) with m the row
// maximum, and writing Σⱼ exp(sⱼ-m) = C + Σⱼ expm1(sⱼ-m) gives
// ln C + log1p(Σⱼ expm1(sⱼ-m)/C) + m - s_y, whose non-constant part is
// computed to full relative precision even when it is tiny. exp, expm1 and
// log1p are the portable ones of fmath.go: the same bits on every machine. The numeric
// gradient check differences losses of nearly equal weights; with ln C folded
// in, the last bit of a number near 2.3 would drown the gradients of small
// weights. Sums run in float64.
func softmaxLoss[T Float](scores *Tensor[T], y []int, dscores []T) float64 {
	n, c := scores.Shape[0], scores.Shape[1]
	if len(y) != n {
		panic(fmt.Sprintf("nn: %d labels for a batch of %d", len(y), n))
	}
	var excess float64
	invN, logC := 1/float64(n), log1p(float64(c-1))
	for i := 0; i < n; i++ {
		row := scores.Data[i*c : (i+1)*c]
		d := dscores[i*c : (i+1)*c]
		label := y[i]
		if label < 0 || label >= c {
			panic(fmt.Sprintf("nn: label %d of image %d outside 0..%d", label, i, c-1))
		}
		m := float64(row[0])
		for _, v := range row[1:] {
			m = max(m, float64(v))
		}
		var e float64
		for _, v := range row {
			e += expm1(float64(v) - m)
		}
		rest := log1p(e / float64(c))
		excess += rest + m - float64(row[label])
		logSum := logC + rest
		for j, v := range row {
			d[j] = T(exp(float64(v)-m-logSum) * invN)
		}
		d[label] -= T(invN)
	}
	return excess * invN
}
