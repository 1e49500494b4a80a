package nn

import (
	"fmt"
	"math"
)

// softmaxLoss returns the mean softmax cross-entropy of scores (N, C) with
// labels y and writes its gradient with respect to the scores into dscores
// (N, C): (softmax(scores) - onehot(y)) / N. Each row is shifted by its
// maximum before exponentiating so that large scores do not overflow; the
// sums run in float64 so that float32 training loses no precision in them.
func softmaxLoss[T Float](scores *Tensor[T], y []int, dscores []T) float64 {
	n, c := scores.Shape[0], scores.Shape[1]
	if len(y) != n {
		panic(fmt.Sprintf("nn: %d labels for a batch of %d", len(y), n))
	}
	var loss float64
	invN := 1 / float64(n)
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
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - m)
		}
		logSum := math.Log(sum)
		loss += logSum - (float64(row[label]) - m)
		for j, v := range row {
			d[j] = T(math.Exp(float64(v)-m-logSum) * invN)
		}
		d[label] -= T(invN)
	}
	return loss * invN
}
