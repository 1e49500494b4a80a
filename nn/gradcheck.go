package nn

import (
	"fmt"
	"math"
)

// kinkRetries is how many steps GradCheck tries for one element, each a
// tenth of the last, before leaving the element out: a step that crosses a
// ReLU or max-pool kink measures the slope of two pieces at once.
const kinkRetries = 4

// GradCheck compares the analytic gradient of m's loss on (x, y) with centred
// differences of step h and returns the max relative error per parameter name.
// See GradCheckKinks, which it is without the count of elements left out.
func GradCheck(m *Model[float64], x *Tensor[float64], y []int, h float64) map[string]float64 {
	errs, _ := GradCheckKinks(m, x, y, h)
	return errs
}

// GradCheckKinks is GradCheck that also returns, per parameter name, how
// many elements it left out because every step crossed a kink.
//
// The relative error of one element is |a-n| / max(|a|+|n|, 1e-12) (a the
// analytic, n the numeric derivative), so elements whose gradient is exactly
// zero on both sides count as agreeing. Dropout masks are drawn once by the
// first pass and then frozen for the rest of the check, so that the loss is a
// fixed function of the weights.
//
// The loss is only piecewise smooth: a centred difference is the derivative
// when the +h and −h passes lie on the unperturbed pass's piece, i.e. every
// ReLU input keeps its sign and every max-pool window its arg-max. When
// either pass leaves it, the element is retried with steps h/10, h/100, ...
// (kinkRetries in all); if every step crosses (the point sits on a kink, as
// a ReLU input of exactly 0 does), the element is left out and counted.
func GradCheckKinks(m *Model[float64], x *Tensor[float64], y []int, h float64) (errs map[string]float64, skipped map[string]int) {
	if !(h > 0) {
		panic(fmt.Sprintf("nn: GradCheck: step %g must be positive", h))
	}
	m.freezeDropout(false)
	m.Loss(x, y)
	base := m.kinks()
	m.freezeDropout(true)
	defer m.freezeDropout(false)
	errs = make(map[string]float64, len(m.ps))
	skipped = map[string]int{}
	for _, p := range m.ps {
		if p.Buffer {
			continue
		}
		analytic := append([]float64(nil), p.Grad.Data...)
		worst := 0.0
		for i, a := range analytic {
			old := p.Value.Data[i]
			at := func(v float64) (float64, uint64) {
				p.Value.Data[i] = v
				return m.dataLoss(x, y), m.kinks()
			}
			step, crossed, num := h, true, 0.0
			for try := 0; try < kinkRetries && crossed; try++ {
				lp, kp := at(old + step)
				lm, km := at(old - step)
				num = (lp - lm) / (2 * step)
				crossed = kp != base || km != base
				step /= 10
			}
			p.Value.Data[i] = old
			if crossed {
				skipped[p.Name]++
				continue
			}
			worst = max(worst, relErr(a, num))
		}
		errs[p.Name] = worst
	}
	return errs, skipped
}

// kinks fingerprints where m's last forward pass lies among the pieces of
// its piecewise-linear layers: the sign of every ReLU input and the arg-max
// of every max-pool window (-1 for a window a fused ReLU zeroes). Passes
// with equal fingerprints lie on one linear piece of those layers.
func (m *Model[T]) kinks() uint64 {
	const prime = 1099511628211
	sum := uint64(14695981039346656037) // FNV-1a
	mix := func(v int) {
		sum = (sum ^ uint64(int64(v))) * prime
	}
	for _, l := range m.layers {
		switch l := l.(type) {
		case *reluLayer[T]:
			for _, v := range l.out.Data {
				if v > 0 {
					mix(1)
				} else {
					mix(0)
				}
			}
		case *poolLayer[T]:
			l.argmaxes(mix)
		}
	}
	return sum
}

// argmaxes calls f with the arg-max of every window of the last forward
// pass (its index in the window, -1 when a fused ReLU makes the output 0),
// windows in the order forwardAny writes them.
func (l *poolLayer[T]) argmaxes(f func(int)) {
	if l.x == nil {
		return
	}
	planes := len(l.x.Data) / (l.H * l.W)
	for plane := range planes {
		src := l.x.Data[plane*l.H*l.W : (plane+1)*l.H*l.W]
		for oy := 0; oy < l.OH; oy++ {
			for ox := 0; ox < l.OW; ox++ {
				r := oy*l.S*l.W + ox*l.S
				best, arg := src[r], 0
				for i := 0; i < l.PH; i++ {
					for j, v := range src[r+i*l.W : r+i*l.W+l.PW] {
						if v > best {
							best, arg = v, i*l.PW+j
						}
					}
				}
				if l.relu && !(best > 0) {
					arg = -1
				}
				f(arg)
			}
		}
	}
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
