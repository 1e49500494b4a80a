package nn

import (
	"fmt"
	"math"
)

// GradCheck compares the analytic gradient of m's loss on (x, y) with centred
// differences of step h and returns the max relative error per parameter name.
//
// The relative error of one element is |a-n| / max(|a|+|n|, 1e-12) (a the
// analytic, n the numeric derivative), so elements whose gradient is exactly
// zero on both sides count as agreeing. Dropout masks are drawn once by the
// first pass and then frozen for the rest of the check, so that the loss is a
// fixed function of the weights.
func GradCheck(m *Model[float64], x *Tensor[float64], y []int, h float64) map[string]float64 {
	if !(h > 0) {
		panic(fmt.Sprintf("nn: GradCheck: step %g must be positive", h))
	}
	m.freezeDropout(false)
	m.Loss(x, y)
	m.freezeDropout(true)
	defer m.freezeDropout(false)
	errs := make(map[string]float64, len(m.ps))
	for _, p := range m.ps {
		analytic := append([]float64(nil), p.Grad.Data...)
		worst := 0.0
		for i, a := range analytic {
			old := p.Value.Data[i]
			p.Value.Data[i] = old + h
			lp := m.dataLoss(x, y)
			p.Value.Data[i] = old - h
			lm := m.dataLoss(x, y)
			p.Value.Data[i] = old
			worst = max(worst, relErr(a, (lp-lm)/(2*h)))
		}
		errs[p.Name] = worst
	}
	return errs
}

// relErr is |a-b| / max(|a|+|b|, 1e-12); NaN if either is NaN.
func relErr(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Abs(a-b) / max(math.Abs(a)+math.Abs(b), 1e-12)
}

// freezeDropout makes every dropout layer of m reuse its last mask (on) or
// draw fresh ones (off).
func (m *Model[T]) freezeDropout(on bool) {
	for _, l := range m.layers {
		if d, ok := l.(*dropoutLayer[T]); ok {
			d.frozen = on
		}
	}
}
