package web

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/results"
)

// chart is one line chart, drawn as inline SVG with its data beside it so
// that the page's script can show the values under the pointer.
type chart struct {
	Title, XLabel, YLabel string
	// Categories, if set, name the x positions 0, 1, 2 ... (one-epoch
	// sweeps: accuracy per trial); otherwise x is numeric.
	Categories []string
	IntegerX   bool // x is an iteration or epoch count: whole-number ticks
	Series     []series
	// Key lines explain the styles (solid, dashed, faint) under the legend.
	Key []string
}

// series is one line of a chart.
type series struct {
	Name   string
	Color  int // index into results.Palette
	X, Y   []float64
	Dashed bool
	Marks  bool // a dot at every point
	// Faint lines (a raw loss under its moving average) are drawn pale,
	// left out of the legend, the hover and the y range.
	Faint bool
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH                         = 720.0, 400.0
	padLeft, padRight, padTop, padBottom   = 64.0, 20.0, 44.0, 52.0
	maxPathPoints                          = 600 // longer series are thinned for the path
	minYTicks, maxYTicks, maxXTicks        = 4, 8, 10
	plotLeft, plotRight, plotTop, plotBase = padLeft, chartW - padRight, padTop, chartH - padBottom
)

// num formats a coordinate: one decimal, no "-0.0", so output is byte-stable.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	return s
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// chartData is what the page's script reads to show values under the
// pointer: the axes' mapping from data to SVG units and the points of each
// series (hoverable ones only).
type chartData struct {
	X0, X1, PX0, PX1 float64
	Categories       []string    `json:",omitempty"`
	XLabel           string      `json:"xlabel"`
	Series           []hoverLine `json:"series"`
}

type hoverLine struct {
	Name  string       `json:"name"`
	Color string       `json:"color"`
	Pts   [][2]float64 `json:"pts"`
}

// svg renders c as a <figure>: the SVG (title inside, clear of the edge),
// an HTML legend below it, and the data for the hover script. id must be
// unique on the page (it names the clip path).
func (c *chart) html(id string) string {
	// Ranges: x over every point, y over the non-faint ones, padded 5%.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i, x := range s.X {
			y := s.Y[i]
			if !finite(x) || !finite(y) {
				continue
			}
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
			if !s.Faint {
				ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
			}
		}
	}
	if c.Categories != nil {
		xlo, xhi = -0.5, float64(len(c.Categories))-0.5
	}
	if xlo > xhi {
		xlo, xhi = 0, 1
	}
	if xlo == xhi {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	for _, s := range c.Series {
		if s.Marks && c.Categories == nil { // room for the dots at the ends
			pad := 0.03 * (xhi - xlo)
			xlo, xhi = xlo-pad, xhi+pad
			break
		}
	}
	if ylo > yhi {
		ylo, yhi = 0, 1
	}
	if span := yhi - ylo; span < 1e-9 {
		ylo, yhi = ylo-0.05*math.Max(1e-3, math.Abs(ylo)), yhi+0.05*math.Max(1e-3, math.Abs(yhi))
	} else {
		ylo, yhi = ylo-0.05*span, yhi+0.05*span
	}
	px := func(x float64) float64 { return plotLeft + (x-xlo)/(xhi-xlo)*(plotRight-plotLeft) }
	py := func(y float64) float64 { return plotBase - (y-ylo)/(yhi-ylo)*(plotBase-plotTop) }

	var b strings.Builder
	fmt.Fprintf(&b, "<figure class=\"chart\" id=\"%s\">\n", id)
	fmt.Fprintf(&b, "<svg viewBox=\"0 0 %s %s\" role=\"img\" aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">\n", num(chartW), num(chartH), html.EscapeString(c.Title))
	fmt.Fprintf(&b, "<rect width=\"%s\" height=\"%s\" fill=\"#fff\"/>\n", num(chartW), num(chartH))
	fmt.Fprintf(&b, "<text class=\"title\" x=\"%s\" y=\"26\" text-anchor=\"middle\">%s</text>\n", num(chartW/2), html.EscapeString(c.Title))
	fmt.Fprintf(&b, "<clipPath id=\"%s-clip\"><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/></clipPath>\n", id, num(plotLeft), num(plotTop), num(plotRight-plotLeft), num(plotBase-plotTop))

	// Grid and ticks.
	b.WriteString("<g class=\"grid\">\n")
	yv, yl := results.NiceTicks(ylo, yhi, minYTicks, maxYTicks, false)
	for i, v := range yv {
		y := py(v)
		fmt.Fprintf(&b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/><text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n",
			num(plotLeft), num(y), num(plotRight), num(y), num(plotLeft-6), num(y+4), yl[i])
	}
	if c.Categories != nil {
		for i, cat := range c.Categories {
			x := px(float64(i))
			fmt.Fprintf(&b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/><text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n",
				num(x), num(plotTop), num(x), num(plotBase), num(x), num(plotBase+16), html.EscapeString(cat))
		}
	} else {
		xv, xl := results.NiceTicks(xlo, xhi, minYTicks, maxXTicks, c.IntegerX)
		for i, v := range xv {
			x := px(v)
			fmt.Fprintf(&b, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/><text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n",
				num(x), num(plotTop), num(x), num(plotBase), num(x), num(plotBase+16), xl[i])
		}
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, "<rect class=\"frame\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"/>\n", num(plotLeft), num(plotTop), num(plotRight-plotLeft), num(plotBase-plotTop))
	fmt.Fprintf(&b, "<text class=\"label\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", num((plotLeft+plotRight)/2), num(chartH-12), html.EscapeString(c.XLabel))
	fmt.Fprintf(&b, "<text class=\"label\" transform=\"rotate(-90)\" x=\"%s\" y=\"16\" text-anchor=\"middle\">%s</text>\n", num(-(plotTop+plotBase)/2), html.EscapeString(c.YLabel))

	// Lines: faint ones first, underneath.
	fmt.Fprintf(&b, "<g clip-path=\"url(#%s-clip)\" fill=\"none\">\n", id)
	data := chartData{X0: xlo, X1: xhi, PX0: plotLeft, PX1: plotRight, Categories: c.Categories, XLabel: c.XLabel}
	for _, faint := range []bool{true, false} {
		for _, s := range c.Series {
			if s.Faint != faint {
				continue
			}
			col := results.SeriesHex(s.Color)
			var d strings.Builder
			var pts [][2]float64
			stride := max(1, (len(s.X)+maxPathPoints-1)/maxPathPoints)
			pen := "M"
			for i := 0; i < len(s.X); i++ {
				if i%stride != 0 && i != len(s.X)-1 {
					continue
				}
				x, y := s.X[i], s.Y[i]
				if !finite(x) || !finite(y) {
					pen = "M"
					continue
				}
				fmt.Fprintf(&d, "%s%s %s", pen, num(px(x)), num(py(y)))
				pen = "L"
				pts = append(pts, [2]float64{x, y})
			}
			attrs := fmt.Sprintf("stroke=\"%s\" stroke-width=\"2\"", col)
			if s.Faint {
				attrs = fmt.Sprintf("stroke=\"%s\" stroke-width=\"0.8\" stroke-opacity=\"0.3\"", col)
			}
			if s.Dashed {
				attrs += " stroke-dasharray=\"6 4\""
			}
			if d.Len() > 0 {
				fmt.Fprintf(&b, "<path d=\"%s\" %s/>\n", d.String(), attrs)
			}
			if s.Marks {
				for _, p := range pts {
					fmt.Fprintf(&b, "<circle cx=\"%s\" cy=\"%s\" r=\"3.5\" fill=\"%s\"/>\n", num(px(p[0])), num(py(p[1])), col)
				}
			}
			if !s.Faint {
				data.Series = append(data.Series, hoverLine{Name: s.Name, Color: col, Pts: pts})
			}
		}
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, "<line class=\"guide\" x1=\"0\" y1=\"%s\" x2=\"0\" y2=\"%s\" visibility=\"hidden\"/>\n", num(plotTop), num(plotBase))
	b.WriteString("</svg>\n")

	// The legend, outside the data area.
	b.WriteString("<figcaption><ul class=\"legend\">")
	for _, s := range c.Series {
		if s.Faint {
			continue
		}
		dash := ""
		if s.Dashed {
			dash = " dashed"
		}
		fmt.Fprintf(&b, "<li><span class=\"swatch%s\" style=\"border-color:%s\"></span>%s</li>", dash, results.SeriesHex(s.Color), html.EscapeString(s.Name))
	}
	b.WriteString("</ul>")
	for _, k := range c.Key {
		fmt.Fprintf(&b, "<p class=\"key\">%s</p>", html.EscapeString(k))
	}
	b.WriteString("</figcaption>\n")
	js, err := json.Marshal(data)
	if err != nil { // only finite numbers are kept, so this cannot happen
		js = []byte("{}")
	}
	fmt.Fprintf(&b, "<script type=\"application/json\" class=\"chart-data\">%s</script>\n", strings.ReplaceAll(string(js), "</", "<\\/"))
	b.WriteString("<div class=\"tip\" hidden></div>\n</figure>\n")
	return b.String()
}

// movingAverage is the centred mean over window points on each side (fewer
// at the ends) of the finite ys; non-finite ones stay as they are.
func movingAverage(ys []float64, window int) []float64 {
	out := make([]float64, len(ys))
	for i := range ys {
		if !finite(ys[i]) {
			out[i] = ys[i]
			continue
		}
		sum, n := 0.0, 0
		for j := max(0, i-window); j < min(len(ys), i+window+1); j++ {
			if finite(ys[j]) {
				sum += ys[j]
				n++
			}
		}
		out[i] = sum / float64(n)
	}
	return out
}

// lossChart is the training loss per iteration of each record: for runs of
// 50 iterations or more, the raw loss faint and a moving average over 2% of
// the run on each side as the labelled line (as the loss figure draws it).
func lossChart(title string, recs []results.Record, labels []string) *chart {
	c := &chart{Title: title, XLabel: "iteration", YLabel: "training loss", IntegerX: true}
	smoothed := false
	for i, r := range recs {
		xs := make([]float64, len(r.Result.Loss))
		for j := range xs {
			xs[j] = float64(j + 1)
		}
		ys := r.Result.Loss
		name := labels[i]
		if w := len(ys) / 50; w >= 1 {
			c.Series = append(c.Series, series{Name: name + " (raw)", Color: i, X: xs, Y: ys, Faint: true})
			ys = movingAverage(ys, w)
			smoothed = true
		}
		c.Series = append(c.Series, series{Name: name, Color: i, X: xs, Y: ys, Dashed: i >= len(results.Palette)})
	}
	if smoothed {
		c.Key = append(c.Key, "Lines: moving average over 2% of the run on each side; faint: the raw loss of every iteration.")
	}
	return c
}

// accuracyChart is training (dashed) and validation (solid) accuracy per
// epoch of each record; when every record has one epoch, accuracy per
// trial instead, one x position each.
func accuracyChart(title string, recs []results.Record, labels []string) *chart {
	oneEpoch := len(recs) > 1
	for _, r := range recs {
		if max(len(r.Result.TrainAccs), len(r.Result.ValAccs)) != 1 {
			oneEpoch = false
		}
	}
	if oneEpoch {
		c := &chart{Title: title, XLabel: "trial", YLabel: "accuracy after 1 epoch", Categories: labels}
		// Black and olive: the trials' own colours (blue, orange, ...) would
		// suggest trials beside charts that colour by trial.
		for _, s := range []struct {
			name   string
			accs   func(results.Record) []float64
			dashed bool
			color  int
		}{
			{"validation", func(r results.Record) []float64 { return r.Result.ValAccs }, false, 6},
			{"train", func(r results.Record) []float64 { return r.Result.TrainAccs }, true, 7},
		} {
			var xs, ys []float64
			for i, r := range recs {
				if a := s.accs(r); len(a) == 1 {
					xs, ys = append(xs, float64(i)), append(ys, a[0])
				}
			}
			c.Series = append(c.Series, series{Name: s.name, Color: s.color, X: xs, Y: ys, Dashed: s.dashed, Marks: true})
		}
		return c
	}
	c := &chart{Title: title, XLabel: "epoch", YLabel: "accuracy", IntegerX: true,
		Key: []string{"Solid: validation accuracy; dashed: training accuracy."}}
	for i, r := range recs {
		for _, s := range []struct {
			suffix string
			accs   []float64
			dashed bool
		}{{" val", r.Result.ValAccs, false}, {" train", r.Result.TrainAccs, true}} {
			xs := make([]float64, len(s.accs))
			for j := range xs {
				xs[j] = float64(j + 1)
			}
			c.Series = append(c.Series, series{Name: labels[i] + s.suffix, Color: i, X: xs, Y: s.accs, Dashed: s.dashed, Marks: true})
		}
	}
	return c
}
