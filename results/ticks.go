package results

import (
	"math"
	"strconv"
	"strings"
)

// NiceTicks returns labelled axis positions over [lo, hi]: the multiples
// of a step of 1, 2, 2.5 or 5 times a power of ten, chosen to give between
// minN and maxN ticks (at most maxN always), with labels carrying as many
// decimals as the step needs ("0.75 0.80 0.85"). integer allows only whole
// steps (epochs, iterations). Figures and the browser charts share it, so
// both label axes alike.
func NiceTicks(lo, hi float64, minN, maxN int, integer bool) ([]float64, []string) {
	step := niceStep(hi-lo, minN, maxN, integer)
	var vals []float64
	var labels []string
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9; i++ {
		vals = append(vals, i*step)
		labels = append(labels, tickLabel(i*step, step))
	}
	return vals, labels
}

// niceStep picks a tick step of 1, 2, 2.5 or 5 times a power of ten giving
// at most maxN ticks over span (and at least minN when possible).
func niceStep(span float64, minN, maxN int, integer bool) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	best := 0.0
	for e := math.Floor(math.Log10(span)) - 2; e <= math.Floor(math.Log10(span))+1; e++ {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * math.Pow(10, e)
			if integer && (step < 1 || step != math.Trunc(step)) {
				continue
			}
			n := int(span/step) + 1
			if n <= maxN && (best == 0 || n >= minN) {
				best = step
				if n >= minN {
					return step
				}
			}
		}
	}
	if best == 0 {
		return math.Max(1, span)
	}
	return best
}

// tickLabel formats v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	d := 0
	for s := step; d < 8 && math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, math.Abs(s)); s *= 10 {
		d++
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.TrimLeft(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}
