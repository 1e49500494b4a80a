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
	"gonum.org/v1/plot/vg/vgimg"
)

// Figure sizes. At vgimg's 96 dots per inch a curve figure is 768x480 pixels.
const (
	figWidth  = 8 * vg.Inch
	figHeight = 5 * vg.Inch
)

// figureFormats are the files every figure is written as: SVG to zoom, PNG
// to embed in the Markdown report.
var figureFormats = []string{"svg", "png"}

// dpi is the PNG resolution (vgimg's default): one point of a figure is
// 96/72 pixels.
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
