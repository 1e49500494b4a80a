package results

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Seed statistics of a table: the 95% confidence interval of a row's mean
// over seeds, and the paired comparison of each row with the best.

// ciSuffix makes a metric's confidence-interval column: val_acc_ci95.
const ciSuffix = "_ci95"

// compareColumn is the column table(..., compare = True) adds.
const compareColumn = "vs best"

// compareMetric is the metric rows are compared by.
const compareMetric = "val_acc"

// significance is the level of the comparison's two-sided test.
const significance = 0.05

// ci95 is the 95% confidence interval of the mean of xs by Student's t with
// n-1 degrees of freedom — the right width for the 3 to 10 seeds a study
// runs, where the normal approximation's 1.96 would be too narrow.
func ci95(xs []float64) (lo, hi float64, ok bool) {
	n := len(xs)
	if n < 2 {
		return 0, 0, false
	}
	mean, std := meanStd(xs)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	h := t * std / math.Sqrt(float64(n))
	return mean - h, mean + h, true
}

func ciCell(g *group, m metric) string {
	lo, hi, ok := ci95(metricValues(g, m))
	if !ok || math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return "-"
	}
	return "[" + formatFixed(lo, m.decimals) + ", " + formatFixed(hi, m.decimals) + "]"
}

func metricValues(g *group, m metric) []float64 {
	var xs []float64
	for _, r := range g.recs {
		if v, ok := m.value(r); ok {
			xs = append(xs, v)
		}
	}
	return xs
}

// pairedT is the two-sided p-value of Student's paired t-test that the
// mean of d (differences between two configurations trained with the same
// seeds) is zero; ok is false with fewer than two pairs. When every
// difference is equal the test degenerates: p is 1 if they are 0, else 0.
func pairedT(d []float64) (p float64, ok bool) {
	n := len(d)
	if n < 2 {
		return 0, false
	}
	mean, std := meanStd(d)
	if std == 0 {
		if mean == 0 {
			return 1, true
		}
		return 0, true
	}
	t := mean / (std / math.Sqrt(float64(n)))
	dist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}
	return 2 * dist.CDF(-math.Abs(t)), true
}

// compareCells fills the "vs best" column of groups (in row order): the row
// with the highest mean val_acc is "best"; another row shows the p-value of
// the paired t-test over the seeds it shares with the best row, marked
// "≈ best" when the difference is not significant at the 5% level; "-" when
// they share fewer than two seeds. Pairing by seed is what makes a few
// seeds enough: a seed fixes the initial weights, the batch order and the
// dropout masks, so two configurations' trials with one seed are alike in
// everything the seed decides, and the seed-to-seed spread (often larger
// than the effect being compared) cancels in their difference.
func compareCells(groups []*group) []string {
	m, _ := findMetric(compareMetric)
	best, bestMean := -1, math.Inf(-1)
	for i, g := range groups {
		xs := metricValues(g, m)
		if len(xs) == 0 {
			continue
		}
		if mean, _ := meanStd(xs); mean > bestMean {
			best, bestMean = i, mean
		}
	}
	cells := make([]string, len(groups))
	for i, g := range groups {
		switch {
		case best < 0:
			cells[i] = "-"
			continue
		case i == best:
			cells[i] = "best"
			continue
		}
		bySeed := map[uint64]float64{}
		for _, r := range groups[best].recs {
			if v, ok := m.value(r); ok {
				bySeed[r.Trial.Train.Seed] = v
			}
		}
		var d []float64
		for _, r := range g.recs {
			if b, ok := bySeed[r.Trial.Train.Seed]; ok {
				if v, ok := m.value(r); ok {
					d = append(d, b-v)
				}
			}
		}
		p, ok := pairedT(d)
		switch {
		case !ok || math.IsNaN(p):
			cells[i] = "-"
		case p >= significance:
			cells[i] = "≈ best (p=" + formatP(p) + ")"
		default:
			cells[i] = "p=" + formatP(p)
		}
	}
	return cells
}

// formatP writes a p-value with 3 significant digits.
func formatP(p float64) string {
	s := fmt.Sprintf("%.3g", p)
	if strings.Contains(s, "e") {
		return fmt.Sprintf("%.2e", p)
	}
	return s
}
