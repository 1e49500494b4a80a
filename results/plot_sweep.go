package results

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sweepAxis is the one numeric setting a set of records varies in: its name
// and, per record, its value.
type sweepAxis struct {
	name   string
	values []float64
	raw    []any // the values as stored, for tick labels
}

// oneEpochSweepAxis reports whether every record has exactly one epoch of
// accuracy history and the records, all naming the same settings, differ in
// exactly one of them (seedSetting aside, so a seeds sweep still qualifies),
// whose values are all numbers; if so it returns that setting.
func oneEpochSweepAxis(recs []Record) (sweepAxis, bool) {
	if len(recs) < 2 {
		return sweepAxis{}, false
	}
	for _, r := range recs {
		if max(len(r.Result.TrainAccs), len(r.Result.ValAccs)) != 1 {
			return sweepAxis{}, false
		}
	}
	var names []string
	for _, s := range recs[0].Trial.Settings {
		if s.Name != seedSetting {
			names = append(names, s.Name)
		}
	}
	var axis sweepAxis
	found := false
	for _, name := range names {
		raw := make([]any, len(recs))
		distinct := map[string]bool{}
		for i, r := range recs {
			v, ok := r.Trial.Setting(name)
			if !ok {
				return sweepAxis{}, false // records of different pipelines
			}
			raw[i] = v
			key := fmt.Sprintf("%T %v", v, v)
			if x, ok := settingNumber(v); ok {
				key = strconv.FormatFloat(x, 'g', -1, 64) // 0 and 0.0 are one value
			}
			distinct[key] = true
		}
		if len(distinct) == 1 {
			continue
		}
		if found {
			return sweepAxis{}, false // two settings vary: no single x axis
		}
		found = true
		axis = sweepAxis{name: name, values: make([]float64, len(recs)), raw: raw}
		for i, v := range raw {
			x, ok := settingNumber(v)
			if !ok {
				return sweepAxis{}, false
			}
			axis.values[i] = x
		}
	}
	if !found {
		return sweepAxis{}, false
	}
	// Same names everywhere: a record with an extra setting is another sweep.
	for _, r := range recs {
		n := 0
		for _, s := range r.Trial.Settings {
			if s.Name != seedSetting {
				n++
			}
		}
		if n != len(names) {
			return sweepAxis{}, false
		}
	}
	return axis, true
}

// settingNumber returns v as a finite float64 when it is a number (int64 or
// float64, as records read back; other integer types as callers may build).
func settingNumber(v any) (float64, bool) {
	if f, ok := v.(float64); ok {
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	if i, ok := asInt64(v); ok {
		return float64(i), true
	}
	return 0, false
}

// plotAccuracyBySetting draws the final training (dashed) and validation
// (solid) accuracy of one-epoch records against the setting they sweep. The
// x axis is categorical: the i-th smallest distinct value sits at position
// i, labelled as tables print it, so a log-spaced sweep (reg 0, 1e-4 ... 0.1)
// is as readable as a linear one. Records sharing a value (several seeds) are
// drawn as faint points and joined through their mean. The y axis zooms on
// the data, with a span of at least 0.2 so seed-level noise does not fill
// the figure. labels are checked against recs but not shown: the x axis
// names every trial. which is "accuracy" for both series, "val_acc" or
// "train_acc" for one.
func plotAccuracyBySetting(recs []Record, labels []string, axis sweepAxis, title, pathNoExt, which string) ([]string, error) {
	p, _, err := curvePlot(recs, labels, title, axis.name, "accuracy after 1 epoch")
	if err != nil {
		return nil, err
	}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return axis.values[order[a]] < axis.values[order[b]] })
	// pos[i] is record i's category; ticks name each category once.
	pos := make([]float64, len(recs))
	var ticks categoryTicks
	for k, i := range order {
		if k == 0 || axis.values[i] != axis.values[order[k-1]] {
			ticks = append(ticks, FormatValue(axis.raw[i]))
		}
		pos[i] = float64(len(ticks) - 1)
	}
	dashed := []vg.Length{vg.Points(5), vg.Points(3)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, series := range []struct {
		name   string
		acc    func(Record) []float64
		c      color.Color
		dashes []vg.Length
		glyph  draw.GlyphDrawer
	}{
		{"validation (solid)", func(r Record) []float64 { return r.Result.ValAccs }, trialColor(0), nil, draw.CircleGlyph{}},
		{"train (dashed)", func(r Record) []float64 { return r.Result.TrainAccs }, trialColor(1), dashed, draw.TriangleGlyph{}},
	} {
		if which != "accuracy" && (which == "val_acc") != (series.name == "validation (solid)") {
			continue
		}
		sums, counts := make([]float64, len(ticks)), make([]int, len(ticks))
		var each plotter.XYs
		for i, r := range recs {
			a := series.acc(r)
			if len(a) != 1 || math.IsNaN(a[0]) || math.IsInf(a[0], 0) {
				continue
			}
			c := int(pos[i])
			sums[c] += a[0]
			counts[c]++
			each = append(each, plotter.XY{X: pos[i], Y: a[0]})
			lo, hi = math.Min(lo, a[0]), math.Max(hi, a[0])
		}
		var means plotter.XYs
		for c := range ticks {
			if counts[c] > 0 {
				means = append(means, plotter.XY{X: float64(c), Y: sums[c] / float64(counts[c])})
			}
		}
		if len(means) == 0 {
			continue
		}
		if len(each) > len(means) { // several seeds per value: show each one
			sc, err := plotter.NewScatter(each)
			if err != nil {
				return nil, fmt.Errorf("results: plot %q: %v", title, err)
			}
			sc.Color, sc.Shape, sc.Radius = fade(series.c, 0.4), series.glyph, vg.Points(2)
			p.Add(sc)
		}
		line, points, err := plotter.NewLinePoints(means)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		line.Color, line.Width, line.Dashes = series.c, vg.Points(1.5), series.dashes
		points.Color, points.Shape, points.Radius = series.c, series.glyph, vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(series.name, line, points)
	}
	if lo > hi { // nothing finite: show the usual [0, 1]
		lo, hi = 0, 1
	}
	fitY(p, lo, hi, 0.2, 0, 1)
	p.X.Min, p.X.Max = -0.5, float64(len(ticks))-0.5
	p.X.Tick.Marker = ticks
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// categoryTicks labels positions 0, 1, 2 ... with its strings, one each.
type categoryTicks []string

func (c categoryTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := make([]plot.Tick, 0, len(c))
	for i, label := range c {
		if v := float64(i); v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}
