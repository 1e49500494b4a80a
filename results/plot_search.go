package results

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figures for searches and sweeps over several settings: a metric against
// one setting (grouped by another), the best-so-far curve of a search, and
// parallel coordinates of every setting against the metric.

// XTrial and XSettings are the PlotSpec.X values of the best-so-far and the
// parallel-coordinates figures; any other X names a setting.
const (
	XTrial    = "trial"
	XSettings = "settings"
)

// finalMetric is the number a figure shows of a record: its train_acc or
// val_acc (the best epoch's).
func finalMetric(r Record, metric string) (float64, bool) {
	v := r.Result.ValAcc
	if metric == "train_acc" {
		v = r.Result.TrainAcc
	}
	return v, r.Result.Status == "ok" && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// logScaled reports whether a setting's values are best seen on a log axis:
// all positive with the largest at least 20 times the smallest (log-uniform
// draws over two decades, log-spaced grids such as 1e-4, 1e-3, 1e-2); a
// grid including 0 is not.
func logScaled(xs []float64) bool {
	if len(xs) < 2 {
		return false
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	return lo > 0 && hi/lo >= 20
}

// sigTicks labels an axis's ticks with 3 significant digits, on a log axis
// at the powers of ten and 2 and 5 times them.
type sigTicks struct{ log bool }

func (t sigTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if t.log {
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
					label := ""
					if m == 1 || hi/lo < 1e3 {
						label = sig3(v)
					}
					ticks = append(ticks, plot.Tick{Value: v, Label: label})
				}
			}
		}
		return ticks
	}
	for _, tk := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if tk.Label != "" {
			tk.Label = sig3(tk.Value)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// sig3 writes x with 3 significant digits for tick and range labels (tables
// and legends print settings in full).
func sig3(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// plotMetricBySetting draws metric (train_acc or val_acc, that one only)
// against setting x: one line per value of hue ("" for one line), one
// point per distinct x with the mean over the records there (seeds, or
// proposals that share the value) and error bars of ± one sample standard
// deviation where there are several. The points of a line are joined when
// they are a grid (at most 8 distinct values, or repeated ones); a search's
// scattered draws are left as points. A log-scaled x (see logScaled) gets
// a log axis. It writes pathNoExt.svg and .png and returns the paths.
func plotMetricBySetting(recs []Record, metric, x, hue, title, pathNoExt string) ([]string, error) {
	p, _, err := curvePlot(recs, make([]string, len(recs)), title, x, metric)
	if err != nil {
		return nil, err
	}
	type cell struct {
		x  float64
		ys []float64
	}
	var hues []string
	series := map[string]map[float64]*cell{}
	var allX []float64
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Key] {
			continue // one trial in two searches (their shared first rounds) is one point
		}
		seen[r.Key] = true
		v, ok := r.Trial.Setting(x)
		if !ok {
			return nil, fmt.Errorf("results: plot %q: a trial has no setting %q", title, x)
		}
		xv, ok := settingNumber(v)
		if !ok {
			return nil, fmt.Errorf("results: plot %q: setting %q is %s, not a number", title, x, FormatValue(v))
		}
		h := ""
		if hue != "" {
			hv, ok := r.Trial.Setting(hue)
			if !ok {
				return nil, fmt.Errorf("results: plot %q: a trial has no setting %q", title, hue)
			}
			h = hue + "=" + FormatValue(hv)
		}
		y, ok := finalMetric(r, metric)
		if !ok {
			continue
		}
		if series[h] == nil {
			series[h] = map[float64]*cell{}
			hues = append(hues, h)
		}
		c := series[h][xv]
		if c == nil {
			c = &cell{x: xv}
			series[h][xv] = c
		}
		c.ys = append(c.ys, y)
		allX = append(allX, xv)
	}
	log := logScaled(allX)
	if log {
		p.X.Scale = plot.LogScale{}
	}
	p.X.Tick.Marker = sigTicks{log: log}
	for i, h := range hues {
		var means plotter.XYs
		var errs plotter.YErrors
		spread := false
		for _, c := range series[h] {
			m, s := meanStd(c.ys)
			means = append(means, plotter.XY{X: c.x, Y: m})
			errs = append(errs, struct{ Low, High float64 }{s, s})
			spread = spread || len(c.ys) > 1
		}
		order := make([]int, len(means))
		for k := range order {
			order[k] = k
		}
		slices.SortFunc(order, func(a, b int) int {
			switch {
			case means[a].X < means[b].X:
				return -1
			case means[a].X > means[b].X:
				return 1
			}
			return 0
		})
		pts := errPoints{make(plotter.XYs, len(order)), make(plotter.YErrors, len(order))}
		for k, o := range order {
			pts.XYs[k], pts.errs[k] = means[o], errs[o]
		}
		col := trialColor(i)
		line, points, err := plotter.NewLinePoints(pts.XYs)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		line.Color, line.Width, line.Dashes = col, vg.Points(1.5), trialDashes(i)
		points.Color, points.Shape, points.Radius = col, draw.CircleGlyph{}, vg.Points(3)
		if len(pts.XYs) <= 8 || spread {
			p.Add(line)
		} else {
			line.Width = 0 // legend entry: the points alone
		}
		p.Add(points)
		if spread {
			bars, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return nil, fmt.Errorf("results: plot %q: %v", title, err)
			}
			bars.Color = col
			p.Add(bars)
		}
		if h != "" {
			p.Legend.Add(h, line, points)
		}
	}
	p.Legend.Top = true
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// errPoints are points with vertical error bars.
type errPoints struct {
	plotter.XYs
	errs plotter.YErrors
}

func (e errPoints) YError(i int) (float64, float64) { return e.errs.YError(i) }

// proposals groups the records of a search into its proposals, in order:
// records that differ only in their seed are one proposal, whose value is
// their mean metric (-Inf if one diverged).
func proposals(recs []Record, metric string) []float64 {
	var vals []float64
	for _, g := range groupRecords(recs) {
		sum := 0.0
		for _, r := range g.recs {
			v, ok := finalMetric(r, metric)
			if !ok {
				sum = math.Inf(-1)
				break
			}
			sum += v
		}
		vals = append(vals, sum/float64(len(g.recs)))
	}
	return vals
}

// plotBestSoFar draws a search's metric per proposal, in proposal order, as
// points, and the best value so far as a step line.
func plotBestSoFar(recs []Record, metric, title, pathNoExt string) ([]string, error) {
	p, _, err := curvePlot(recs, make([]string, len(recs)), title, "trial", metric)
	if err != nil {
		return nil, err
	}
	vals := proposals(recs, metric)
	var each, best plotter.XYs
	top := math.Inf(-1)
	for i, v := range vals {
		if !math.IsInf(v, -1) {
			each = append(each, plotter.XY{X: float64(i + 1), Y: v})
		}
		top = math.Max(top, v)
		if !math.IsInf(top, -1) {
			best = append(best, plotter.XY{X: float64(i + 1), Y: top})
		}
	}
	if len(each) > 0 {
		sc, err := plotter.NewScatter(each)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		sc.Color, sc.Shape, sc.Radius = fade(trialColor(1), 0.6), draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(sc)
		p.Legend.Add("each trial", sc)
		st, err := plotter.NewLine(best)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		st.StepStyle = plotter.PostStep
		st.Color, st.Width = trialColor(0), vg.Points(2)
		p.Add(st)
		p.Legend.Add("best so far: "+sig3(top), st)
	}
	// Head room above the best for the legend.
	if lo, hi := p.Y.Min, p.Y.Max; hi > lo {
		p.Y.Max = hi + 0.3*(hi-lo)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Min, p.X.Max = 0.5, float64(len(vals))+0.5
	p.X.Tick.Marker = integerTicks{}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// plotParallel draws parallel coordinates: one vertical axis per numeric
// setting (seed aside, log-scaled settings on a log scale) and the metric
// last, each spanning its records' range; one line per proposal from
// setting to setting to its metric, coloured by the metric (dark blue low,
// dark red high) so that the good regions of every setting stand out.
func plotParallel(recs []Record, metric, title, pathNoExt string) ([]string, error) {
	p, _, err := curvePlot(recs, make([]string, len(recs)), title, "", metric+" (colour)")
	if err != nil {
		return nil, err
	}
	groups := groupRecords(recs)
	vals := proposals(recs, metric)
	var names []string
	for _, n := range settingNames(recs) {
		if n == seedSetting {
			continue
		}
		numeric := true
		for _, g := range groups {
			v, ok := g.recs[0].Trial.Setting(n)
			if _, isNum := settingNumber(v); !ok || !isNum {
				numeric = false
			}
		}
		if numeric {
			names = append(names, n)
		}
	}
	cols := make([][]float64, len(names)+1) // per axis, per proposal, in [0, 1]
	labels := append(slices.Clone(names), metric)
	var ranges []string
	for a, n := range names {
		xs := make([]float64, len(groups))
		for i, g := range groups {
			v, _ := g.recs[0].Trial.Setting(n)
			xs[i], _ = settingNumber(v)
		}
		lo, hi := slices.Min(xs), slices.Max(xs)
		ranges = append(ranges, sig3(lo)+"–"+sig3(hi))
		if logScaled(xs) {
			for i := range xs {
				xs[i] = math.Log(xs[i])
			}
			lo, hi = math.Log(lo), math.Log(hi)
			labels[a] += " (log)"
		}
		cols[a] = unitScale(xs, lo, hi)
	}
	finite := []float64{}
	for _, v := range vals {
		if !math.IsInf(v, -1) {
			finite = append(finite, v)
		}
	}
	if len(finite) == 0 {
		return nil, fmt.Errorf("results: plot %q: no trial has a %s", title, metric)
	}
	vlo, vhi := slices.Min(finite), slices.Max(finite)
	ranges = append(ranges, sig3(vlo)+"–"+sig3(vhi))
	cols[len(names)] = unitScale(vals, vlo, vhi)
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(0)
	cmap.SetMax(1)
	// Worst first, so the best lines are drawn on top.
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case vals[a] < vals[b]:
			return -1
		case vals[a] > vals[b]:
			return 1
		}
		return 0
	})
	for _, i := range order {
		if math.IsInf(vals[i], -1) {
			continue
		}
		pts := make(plotter.XYs, len(cols))
		for a := range cols {
			pts[a] = plotter.XY{X: float64(a), Y: cols[a][i]}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		c, err := cmap.At(cols[len(names)][i])
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		line.Color, line.Width = c, vg.Points(1.5)
		p.Add(line)
	}
	ticks := make(categoryTicks, len(labels))
	for a := range labels {
		ticks[a] = labels[a] + "\n" + ranges[a]
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = -0.2, float64(len(labels)-1)+0.2
	p.Y.Min, p.Y.Max = -0.02, 1.02
	p.Y.Label.Text = "position in each axis's range (low → high)"
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "low"}, {Value: 1, Label: "high"}}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// unitScale maps xs from [lo, hi] to [0, 1] (all 0.5 when lo == hi).
func unitScale(xs []float64, lo, hi float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if hi > lo {
			out[i] = (x - lo) / (hi - lo)
		} else {
			out[i] = 0.5
		}
	}
	return out
}
