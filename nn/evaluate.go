package nn

import (
	"fmt"
	"math"
)

// Evaluation is how a model classifies a set of images.
type Evaluation struct {
	Correct   int
	Accuracy  float64   // Correct / images
	Loss      float64   // mean softmax cross-entropy (the L2 term left out)
	Confusion [][]int   // [true class][predicted class] image counts
	Pred      []int     // predicted class of each image
	Prob      []float64 // the softmax probability of that prediction
}

// Evaluate runs m in test mode over every image of set, in batches of
// batch images, the way Train measures accuracies: the accuracy of a
// trial's kept model on its test split equals its Result.TestAcc.
func Evaluate(m *Model[float32], set Images, batch int) (Evaluation, error) {
	c, n := m.Classes(), set.Len()
	if sh := set.Shape(); sh != m.in || set.Classes() != c {
		return Evaluation{}, fmt.Errorf("the model takes %dx%dx%d images of %d classes, the data has %dx%dx%d images of %d",
			m.in[0], m.in[1], m.in[2], c, sh[0], sh[1], sh[2], set.Classes())
	}
	if batch < 1 {
		return Evaluation{}, fmt.Errorf("batch size %d: must be at least 1", batch)
	}
	ev := Evaluation{Confusion: make([][]int, c), Pred: make([]int, n), Prob: make([]float64, n)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, c)
	}
	s := newSession(m, batch)
	var loss float64
	for start := 0; start < n; start += batch {
		idx := s.idx[:min(batch, n-start)]
		for i := range idx {
			idx[i] = start + i
		}
		scores := m.Scores(s.load(set, idx))
		pred := ev.Pred[start : start+len(idx)]
		argmaxRows(scores, pred)
		for i, p := range pred {
			row := scores.Data[i*c : (i+1)*c]
			mx := float64(row[p])
			var sum float64
			for _, v := range row {
				sum += math.Exp(float64(v) - mx)
			}
			lse := mx + math.Log(sum)
			loss += lse - float64(row[s.y[i]])
			ev.Prob[start+i] = math.Exp(float64(row[p]) - lse)
			ev.Confusion[s.y[i]][p]++
			if p == s.y[i] {
				ev.Correct++
			}
		}
	}
	if n > 0 {
		ev.Accuracy = float64(ev.Correct) / float64(n)
		ev.Loss = loss / float64(n)
	}
	return ev, nil
}

// SetParams replaces the model's parameters with vals, one slice per
// Params() entry in that order (weights read back from a file).
func (m *Model[T]) SetParams(vals [][]T) error {
	if len(vals) != len(m.ps) {
		return fmt.Errorf("%d parameter tensors, the model has %d", len(vals), len(m.ps))
	}
	for i, p := range m.ps {
		if len(vals[i]) != len(p.Value.Data) {
			return fmt.Errorf("parameter %s has %d values, the model's %d", p.Name, len(vals[i]), len(p.Value.Data))
		}
	}
	for i, p := range m.ps {
		copy(p.Value.Data, vals[i])
	}
	return nil
}
