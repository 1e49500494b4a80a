package results

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// plotLoss draws the training loss per iteration of every record, one
// labelled colour per trial, and writes pathNoExt.svg and pathNoExt.png.
// Long runs are noisy, so each trial of 50 or more iterations is drawn twice:
// the raw loss as a faint line, and as the labelled line a centred moving
// average over 2% of the run on each side; the legend says so. Non-finite
// losses (a diverged run's last one) are left out, and the y axis fits the
// labelled lines (the raw spikes beyond them are clipped), stopping at three
// times the largest initial loss so one exploding run does not flatten the
// others.
// labels names the trials (nil: Label of each record). It returns the paths
// written.
func plotLoss(recs []Record, labels []string, title, pathNoExt string) ([]string, error) {
	p, labels, err := curvePlot(recs, labels, title, "iteration", "training loss")
	if err != nil {
		return nil, err
	}
	yCap, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	smoothed := false
	for i, rec := range recs {
		raw := finitePoints(rec.Result.Loss, 1)
		if len(raw) == 0 {
			continue
		}
		yCap = math.Max(yCap, 3*raw[0].Y)
		c := trialColor(i)
		window := len(raw) / 50
		if window >= 1 {
			faint, err := plotter.NewLine(raw)
			if err != nil {
				return nil, fmt.Errorf("results: plot %q: %v", title, err)
			}
			faint.Color = fade(c, 0.25)
			faint.Width = vg.Points(0.5)
			p.Add(faint)
			raw = movingAverage(raw, window)
			smoothed = true
		}
		for _, pt := range raw {
			lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
		}
		line, err := plotter.NewLine(raw)
		if err != nil {
			return nil, fmt.Errorf("results: plot %q: %v", title, err)
		}
		line.Color = c
		line.Width = vg.Points(1.5)
		line.Dashes = trialDashes(i)
		p.Add(line)
		p.Legend.Add(labels[i], line)
	}
	if smoothed {
		// Say what the lines are, in a neutral grey.
		grey := color.Gray{Y: 110}
		for _, key := range []struct {
			name  string
			width vg.Length
			c     color.Color
		}{{"moving average, ±2% of the run", vg.Points(1.5), grey}, {"raw loss per iteration", vg.Points(0.5), fade(grey, 0.5)}} {
			l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: lo}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = key.c, key.width
			p.Legend.Add(key.name, l)
		}
	}
	if yCap > 0 {
		hi = math.Min(hi, yCap)
	}
	fitY(p, lo, hi, 0.01, 0, math.Inf(1))
	p.X.Min = 0
	p.X.Tick.Marker = integerTicks{}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// plotAccuracy draws training and validation accuracy per epoch (which is
// "accuracy"; "val_acc" or "train_acc" draws that one only): one colour
// per trial, validation solid, training dashed, each point marked. The y
// axis fits the data (at least 0.05 wide, within [0, 1]). It writes
// pathNoExt.svg and .png and returns the paths.
//
// A sweep of one-epoch trials would be a single column of points at epoch 1,
// so when every record has exactly one epoch of history and the records
// differ in exactly one numeric setting (seeds aside), the figure is drawn by
// plotAccuracyBySetting instead: accuracy against that setting's value.
func plotAccuracy(recs []Record, labels []string, title, pathNoExt, which string) ([]string, error) {
	if axis, ok := oneEpochSweepAxis(recs); ok {
		return plotAccuracyBySetting(recs, labels, axis, title, pathNoExt, which)
	}
	p, labels, err := curvePlot(recs, labels, title, "epoch", "accuracy")
	if err != nil {
		return nil, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	epochs := 1
	for i, rec := range recs {
		c := trialColor(i)
		for _, series := range []struct {
			name   string
			accs   []float64
			dashes []vg.Length
			glyph  draw.GlyphDrawer
		}{
			{"train_acc", rec.Result.TrainAccs, []vg.Length{vg.Points(5), vg.Points(3)}, draw.TriangleGlyph{}},
			{"val_acc", rec.Result.ValAccs, nil, draw.CircleGlyph{}},
		} {
			if which != "accuracy" && which != series.name {
				continue
			}
			pts := finitePoints(series.accs, 1)
			if len(pts) == 0 {
				continue
			}
			epochs = max(epochs, len(series.accs))
			for _, pt := range pts {
				lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, fmt.Errorf("results: plot %q: %v", title, err)
			}
			line.Color, line.Width, line.Dashes = c, vg.Points(1.5), series.dashes
			points.Color, points.Shape, points.Radius = c, series.glyph, vg.Points(2.5)
			p.Add(line, points)
			if series.dashes == nil || which == "train_acc" {
				p.Legend.Add(labels[i], line, points)
			}
		}
	}
	// Say once what solid and dashed mean, in a neutral grey.
	grey := color.Gray{Y: 110}
	if which != "accuracy" {
		p.Y.Label.Text = map[string]string{"val_acc": "validation accuracy", "train_acc": "training accuracy"}[which]
	}
	for _, key := range []struct {
		name   string
		dashes []vg.Length
	}{{"validation (solid)", nil}, {"train (dashed)", []vg.Length{vg.Points(5), vg.Points(3)}}} {
		if which != "accuracy" {
			break
		}
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width, l.Dashes = grey, vg.Points(1.5), key.dashes
		p.Legend.Add(key.name, l)
	}
	fitY(p, lo, hi, 0.05, 0, 1)
	p.X.Min, p.X.Max = 0.5, float64(epochs)+0.5
	p.X.Tick.Marker = integerTicks{}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}
