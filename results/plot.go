package results

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure sizes. At vgimg's 96 dots per inch a curve figure is 768x480 pixels.
const (
	figWidth  = 8 * vg.Inch
	figHeight = 5 * vg.Inch
)

// figureFormats are the files every figure is written as: SVG to zoom, PNG
// to embed in the Markdown report.
var figureFormats = []string{"svg", "png"}

// PlotLoss draws the training loss per iteration of every record, one
// labelled colour per trial, and writes pathNoExt.svg and pathNoExt.png.
// Long runs are noisy, so each trial of 50 or more iterations is drawn twice:
// the raw loss as a faint line, and as the labelled line a centred moving
// average over 2% of the run on each side. Non-finite losses (a diverged
// run's last one) are left out, and the y axis stops at three times the
// largest initial loss so one exploding run does not flatten the others.
// labels names the trials (nil: Label of each record). It returns the paths
// written.
func PlotLoss(recs []Record, labels []string, title, pathNoExt string) ([]string, error) {
	p, labels, err := curvePlot(recs, labels, title, "iteration", "training loss")
	if err != nil {
		return nil, err
	}
	p.Legend.Top = true

	yCap := 0.0
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
	if yCap > 0 && p.Y.Max > yCap {
		p.Y.Max = yCap
	} else {
		p.Y.Max *= 1.05 // head room: the first loss does not touch the frame
	}
	if p.Y.Min > 0 {
		p.Y.Min = 0 // losses are compared from zero
	}
	p.X.Min = 0
	p.X.Tick.Marker = integerTicks{}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// PlotAccuracy draws training and validation accuracy per epoch: one colour
// per trial, validation solid, training dashed, each point marked. The y
// axis is fixed to [0, 1] so figures of different sweeps compare at a
// glance. It writes pathNoExt.svg and .png and returns the paths.
//
// A sweep of one-epoch trials would be a single column of points at epoch 1,
// so when every record has exactly one epoch of history and the records
// differ in exactly one numeric setting (seeds aside), the figure is drawn by
// plotAccuracyBySetting instead: accuracy against that setting's value.
func PlotAccuracy(recs []Record, labels []string, title, pathNoExt string) ([]string, error) {
	if axis, ok := oneEpochSweepAxis(recs); ok {
		return plotAccuracyBySetting(recs, labels, axis, title, pathNoExt)
	}
	p, labels, err := curvePlot(recs, labels, title, "epoch", "accuracy")
	if err != nil {
		return nil, err
	}
	p.Y.Min, p.Y.Max = 0, 1

	epochs := 1
	for i, rec := range recs {
		c := trialColor(i)
		for _, series := range []struct {
			accs   []float64
			dashes []vg.Length
			glyph  draw.GlyphDrawer
		}{
			{rec.Result.TrainAccs, []vg.Length{vg.Points(5), vg.Points(3)}, draw.TriangleGlyph{}},
			{rec.Result.ValAccs, nil, draw.CircleGlyph{}},
		} {
			pts := finitePoints(series.accs, 1)
			if len(pts) == 0 {
				continue
			}
			epochs = max(epochs, len(series.accs))
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, fmt.Errorf("results: plot %q: %v", title, err)
			}
			line.Color, line.Width, line.Dashes = c, vg.Points(1.5), series.dashes
			points.Color, points.Shape, points.Radius = c, series.glyph, vg.Points(2.5)
			p.Add(line, points)
			if series.dashes == nil {
				p.Legend.Add(labels[i], line, points)
			}
		}
	}
	// Say once what solid and dashed mean, in a neutral grey.
	grey := color.Gray{Y: 110}
	for _, key := range []struct {
		name   string
		dashes []vg.Length
	}{{"validation (solid)", nil}, {"train (dashed)", []vg.Length{vg.Points(5), vg.Points(3)}}} {
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}})
		if err != nil {
			return nil, err
		}
		l.Color, l.Width, l.Dashes = grey, vg.Points(1.5), key.dashes
		p.Legend.Add(key.name, l)
	}
	p.X.Min, p.X.Max = 0.5, float64(epochs)+0.5
	p.X.Tick.Marker = integerTicks{}
	return saveFigure(p, figWidth, figHeight, pathNoExt)
}

// sweepAxis is the one numeric setting a set of records varies in: its name
// and, per record, its value.
type sweepAxis struct {
	name   string
	values []float64
	raw    []any // the values as stored, for tick labels
}

// oneEpochSweepAxis reports whether every record has exactly one epoch of
// accuracy history and the records, all naming the same settings, differ in
// exactly one of them (SeedSetting aside, so a seeds sweep still qualifies),
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
		if s.Name != SeedSetting {
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
			if s.Name != SeedSetting {
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
// names every trial.
func plotAccuracyBySetting(recs []Record, labels []string, axis sweepAxis, title, pathNoExt string) ([]string, error) {
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
		{"validation (solid)", func(r Record) []float64 { return r.Result.ValAccs }, trialColor(2), nil, draw.CircleGlyph{}},
		{"train (dashed)", func(r Record) []float64 { return r.Result.TrainAccs }, trialColor(0), dashed, draw.TriangleGlyph{}},
	} {
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
	mid, span := (lo+hi)/2, math.Max(hi-lo, 0.2)
	// A quarter of head room keeps the top-right legend off the points.
	p.Y.Min = math.Max(0, mid-span/2-0.1*span)
	p.Y.Max = math.Min(1, mid+span/2+0.25*span)
	p.Legend.Top = true
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

// PlotFilters draws the filters as a grid of small images, as the course
// report shows the first conv layer of a trained net: every filter is
// normalised on its own to [0, 255] (so its pattern shows whatever its
// scale), in colour when it has 3 input channels, in grey when it has 1, and
// as the grey mean of its channels otherwise. It writes pathNoExt.svg and
// .png and returns the paths.
//
// The grid is drawn at exactly its pixel size under the title (no axes, no
// resampling), so every weight is a crisp square in the PNG.
func PlotFilters(f *Filters, title, pathNoExt string) ([]string, error) {
	if f == nil {
		return nil, fmt.Errorf("results: plot %q: no filters (the record kept none)", title)
	}
	img, err := FilterGrid(f)
	if err != nil {
		return nil, fmt.Errorf("results: plot %q: %v", title, err)
	}
	style := plot.New().Title.TextStyle
	style.XAlign, style.YAlign = draw.XCenter, draw.YTop
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }
	const margin = 8
	b := img.Bounds()
	titleH := vg.Length(0)
	if title != "" {
		titleH = style.Height(title) + px(margin)
	}
	w := px(b.Dx() + 2*margin)
	h := px(b.Dy()+2*margin) + titleH
	paint := func(c vg.CanvasSizer) {
		dc := draw.New(c)
		dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: w, Y: 0}, {X: w, Y: h}, {X: 0, Y: h}})
		if title != "" {
			dc.FillText(style, vg.Point{X: w / 2, Y: h - px(margin)}, title)
		}
		dc.DrawImage(vg.Rectangle{
			Min: vg.Point{X: px(margin), Y: px(margin)},
			Max: vg.Point{X: px(margin + b.Dx()), Y: px(margin + b.Dy())},
		}, img)
	}
	svg := vgsvg.New(w, h)
	paint(svg)
	raster := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	paint(raster)
	return writeFigure(pathNoExt, map[string]io.WriterTo{"svg": svg, "png": vgimg.PngCanvas{Canvas: raster}})
}

// dpi is the PNG resolution (vgimg's default): one point of a figure is
// 96/72 pixels.
const dpi = vgimg.DefaultDPI

// filterTile is the size in pixels a filter is enlarged to (by a whole
// factor, nearest neighbour), so 3x3 and 7x7 filters are both visible.
const filterTile = 64

// maxGridPixels bounds the filter image (256 MiB of RGBA): a conv layer of
// a hundred thousand filters gets an error, not an out-of-memory crash.
const maxGridPixels = 1 << 26

// FilterGrid lays out the filters of f as one image: ceil(√F) filters per
// row, each enlarged by a whole factor to about 64 pixels and normalised on
// its own to [0, 255], on a white background with a gap between tiles.
func FilterGrid(f *Filters) (*image.RGBA, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	n, ch, h, w := f.Shape[0], f.Shape[1], f.Shape[2], f.Shape[3]
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	rows := (n + cols - 1) / cols
	scale := max(1, filterTile/max(h, w))
	gap := max(1, scale/2)
	tw, th := w*scale, h*scale
	iw, ih := cols*(tw+gap)+gap, rows*(th+gap)+gap
	if float64(iw)*float64(ih) > maxGridPixels {
		return nil, fmt.Errorf("%d filters of %dx%d make a %dx%d image, too large to draw", n, h, w, iw, ih)
	}
	img := image.NewRGBA(image.Rect(0, 0, iw, ih))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	size := ch * h * w
	planes := 1 // grey: one plane, the mean of the channels
	if ch == 3 {
		planes = 3
	}
	px := make([]float32, planes*h*w)
	for k := 0; k < n; k++ {
		vals := f.Data[k*size : (k+1)*size]
		if planes == 3 {
			copy(px, vals)
		} else {
			for i := range px {
				var s float32
				for c := 0; c < ch; c++ {
					s += vals[c*h*w+i]
				}
				px[i] = s / float32(ch)
			}
		}
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range px {
			if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		norm := func(v float32) uint8 {
			if hi <= lo || math.IsNaN(float64(v)) {
				return 128 // a constant (or broken) filter shows mid-grey
			}
			return uint8(math.Round(float64((min(max(v, lo), hi) - lo) / (hi - lo) * 255)))
		}
		x0, y0 := gap+(k%cols)*(tw+gap), gap+(k/cols)*(th+gap)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := y*w + x
				var c color.RGBA
				if planes == 3 {
					c = color.RGBA{norm(px[i]), norm(px[h*w+i]), norm(px[2*h*w+i]), 255}
				} else {
					g := norm(px[i])
					c = color.RGBA{g, g, g, 255}
				}
				for dy := 0; dy < scale; dy++ {
					for dx := 0; dx < scale; dx++ {
						img.SetRGBA(x0+x*scale+dx, y0+y*scale+dy, c)
					}
				}
			}
		}
	}
	return img, nil
}

// curvePlot starts a figure of one curve per record: titled, with axis
// labels and a grid. It checks labels against recs, or makes them from the
// records' settings when labels is nil, and returns them.
func curvePlot(recs []Record, labels []string, title, x, y string) (*plot.Plot, []string, error) {
	if len(recs) == 0 {
		return nil, nil, fmt.Errorf("results: plot %q: no records", title)
	}
	if labels == nil {
		labels = make([]string, len(recs))
		for i, r := range recs {
			labels[i] = Label(r)
		}
	}
	if len(labels) != len(recs) {
		return nil, nil, fmt.Errorf("results: plot %q: %d labels for %d records", title, len(labels), len(recs))
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Add(plotter.NewGrid())
	return p, labels, nil
}

// finitePoints makes (first+i, ys[i]) points, leaving out NaN and ±Inf.
func finitePoints(ys []float64, first float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(ys))
	for i, y := range ys {
		if !math.IsNaN(y) && !math.IsInf(y, 0) {
			pts = append(pts, plotter.XY{X: first + float64(i), Y: y})
		}
	}
	return pts
}

// movingAverage replaces each y by the mean of the points within window of
// it (fewer at the ends), keeping x.
func movingAverage(pts plotter.XYs, window int) plotter.XYs {
	out := make(plotter.XYs, len(pts))
	prefix := make([]float64, len(pts)+1)
	for i, p := range pts {
		prefix[i+1] = prefix[i] + p.Y
	}
	for i, p := range pts {
		lo, hi := max(0, i-window), min(len(pts), i+window+1)
		out[i] = plotter.XY{X: p.X, Y: (prefix[hi] - prefix[lo]) / float64(hi-lo)}
	}
	return out
}

// trialColor is trial i's colour; after the palette's seven colours repeat,
// trialDashes tells the trials apart.
func trialColor(i int) color.Color { return plotutil.Color(i) }

func trialDashes(i int) []vg.Length {
	if i < len(plotutil.DefaultColors) {
		return nil
	}
	return plotutil.Dashes(i / len(plotutil.DefaultColors))
}

// fade returns c with the given opacity (premultiplied alpha).
func fade(c color.Color, alpha float64) color.Color {
	r, g, b, a := c.RGBA()
	return color.RGBA64{uint16(float64(r) * alpha), uint16(float64(g) * alpha), uint16(float64(b) * alpha), uint16(float64(a) * alpha)}
}

// integerTicks marks whole numbers only (epochs, iterations), at most about
// eight of them, spaced by 1, 2 or 5 times a power of ten.
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
search:
	for mag := 1.0; mag < 1e12; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step = m * mag; (hi-lo)/step <= 8 {
				break search
			}
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}

// saveFigure writes p as pathNoExt.svg and .png, each atomically, creating
// the folder if needed.
func saveFigure(p *plot.Plot, w, h vg.Length, pathNoExt string) ([]string, error) {
	out := map[string]io.WriterTo{}
	for _, ext := range figureFormats {
		wt, err := p.WriterTo(w, h, ext)
		if err != nil {
			return nil, fmt.Errorf("results: figure %s: %w", pathNoExt, err)
		}
		out[ext] = wt
	}
	return writeFigure(pathNoExt, out)
}

// writeFigure writes each format's bytes to pathNoExt.<format>, in the order
// of figureFormats, atomically.
func writeFigure(pathNoExt string, formats map[string]io.WriterTo) ([]string, error) {
	if err := os.MkdirAll(filepath.Dir(pathNoExt), 0o755); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var paths []string
	for _, ext := range figureFormats {
		var buf bytes.Buffer
		if _, err := formats[ext].WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("results: figure %s.%s: %w", pathNoExt, ext, err)
		}
		path := pathNoExt + "." + ext
		if err := writeFileAtomic(path, buf.Bytes()); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
