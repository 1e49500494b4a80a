package results

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure sizes: 8x5 inches, so a curve figure's PNG, at curveDPI, is
// 1536x960 pixels (twice the 768x480 of 96 dpi: sharp on a high-density
// screen and in print).
const (
	figWidth  = 8 * vg.Inch
	figHeight = 5 * vg.Inch
	curveDPI  = 2 * vgimg.DefaultDPI

	// figMargin keeps the title and tick labels clear of the figure's edge.
	figMargin = 10 * vg.Millimeter / 4
	// legendGap separates the data area from the legend on its right.
	legendGap = 4 * vg.Millimeter
)

// figureFormats are the files every figure is written as: SVG to zoom, PNG
// to embed in the Markdown report.
var figureFormats = []string{"svg", "png"}

// dpi is the PNG resolution of images drawn at their pixel size (filters,
// misclassified images): one point is 96/72 pixels.
const dpi = vgimg.DefaultDPI

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
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Y.Tick.Marker = niceTicker{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p, labels, nil
}

// niceTicker labels 4 to 8 round values on an axis (NiceTicks).
type niceTicker struct{}

func (niceTicker) Ticks(lo, hi float64) []plot.Tick {
	vals, labels := NiceTicks(lo, hi, 4, 8, false)
	ticks := make([]plot.Tick, len(vals))
	for i, v := range vals {
		ticks[i] = plot.Tick{Value: v, Label: labels[i]}
	}
	return ticks
}

// fitY sets the y axis to [lo, hi] padded by 5% of the span on each side
// (at least minSpan wide in all), kept within [floor, ceil].
func fitY(p *plot.Plot, lo, hi, minSpan, floor, ceil float64) {
	if lo > hi {
		lo, hi = floor, ceil
	}
	if hi-lo < minSpan {
		mid := (lo + hi) / 2
		lo, hi = mid-minSpan/2, mid+minSpan/2
	}
	pad := 0.05 * (hi - lo)
	p.Y.Min, p.Y.Max = math.Max(floor, lo-pad), math.Min(ceil, hi+pad)
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

// trialColor is trial i's colour (Palette: colour-blind safe, ten before
// any repeats); past ten, trialDashes tells the trials apart.
func trialColor(i int) color.Color { return SeriesColor(i) }

func trialDashes(i int) []vg.Length {
	if i < len(Palette) {
		return nil
	}
	return plotutil.Dashes(i / len(Palette))
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

// saveFigure writes p as pathNoExt.svg and .png (at curveDPI), each
// atomically, creating the folder if needed. The figure is laid out for
// print: an opaque white background, a margin keeping the title and labels
// off the edge, and p's legend outside the data area, to its right, top
// aligned with it (so no entry hides a curve).
func saveFigure(p *plot.Plot, w, h vg.Length, pathNoExt string) ([]string, error) {
	legend := p.Legend
	p.Legend = plot.NewLegend() // drawn by drawFigure, not inside the data area
	paint := func(c vg.CanvasSizer) { drawFigure(p, &legend, draw.New(c)) }
	svg := vgsvg.New(w, h)
	paint(svg)
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(curveDPI))
	paint(png)
	return writeFigure(pathNoExt, map[string]io.WriterTo{"svg": svg, "png": vgimg.PngCanvas{Canvas: png}})
}

// drawFigure paints the background, then p in c less its margins and the
// legend's width, then the legend in the strip to the right; it returns
// the data area and the legend's extent.
func drawFigure(p *plot.Plot, legend *plot.Legend, c draw.Canvas) (data, leg vg.Rectangle) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, figMargin, -figMargin, figMargin, -figMargin)
	width := legend.Rectangle(c).Size().X
	if width == 0 {
		p.Draw(c)
		return p.DataCanvas(c).Rectangle, vg.Rectangle{}
	}
	plotC := draw.Crop(c, 0, -(width + legendGap), 0, 0)
	p.Draw(plotC)
	legC := draw.Crop(c, c.Size().X-width, 0, 0, 0)
	legC.Max.Y = p.DataCanvas(plotC).Max.Y
	legend.Draw(legC)
	return p.DataCanvas(plotC).Rectangle, legend.Rectangle(legC)
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
