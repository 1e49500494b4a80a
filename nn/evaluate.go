package nn

import (
	"fmt"
	"math"

	"github.com/pipe-ml/pipe/nn/data"
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

// Evaluate runs m in test mode over every image of set, preprocessed by d
// and in batches of batch images, the way Train measures accuracies: the
// accuracy of a trial's kept model on d.Test equals its Result.TestAcc.
func Evaluate(m *Model[float32], d *data.Splits, set *data.Set, batch int) (Evaluation, error) {
	c := m.Classes()
	if set.C != m.in[0] || set.H != m.in[1] || set.W != m.in[2] || len(set.Classes) != c {
		return Evaluation{}, fmt.Errorf("the model takes %dx%dx%d images of %d classes, the data has %dx%dx%d images of %d",
			m.in[0], m.in[1], m.in[2], c, set.C, set.H, set.W, len(set.Classes))
	}
	if batch < 1 {
		return Evaluation{}, fmt.Errorf("batch size %d: must be at least 1", batch)
	}
	ev := Evaluation{Confusion: make([][]int, c), Pred: make([]int, set.N), Prob: make([]float64, set.N)}
	for i := range ev.Confusion {
		ev.Confusion[i] = make([]int, c)
	}
	s := newSession(m, d, batch)
	var loss float64
	for start := 0; start < set.N; start += batch {
		idx := s.idx[:min(batch, set.N-start)]
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
	if set.N > 0 {
		ev.Accuracy = float64(ev.Correct) / float64(set.N)
		ev.Loss = loss / float64(set.N)
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
