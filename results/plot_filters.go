package results

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plotFilters draws the filters as a grid of small images, as the course
// report shows the first conv layer of a trained net: every filter is
// normalised on its own to [0, 255] (so its pattern shows whatever its
// scale), in colour when it has 3 input channels, in grey when it has 1, and
// as the grey mean of its channels otherwise. It writes pathNoExt.svg and
// .png and returns the paths.
//
// The grid is drawn at exactly its pixel size under the title (no axes, no
// resampling), so every weight is a crisp square in the PNG.
func plotFilters(f *Filters, title, pathNoExt string) ([]string, error) {
	if f == nil {
		return nil, fmt.Errorf("results: plot %q: no filters (the record kept none)", title)
	}
	img, err := filterGrid(f)
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
	return paintFigure(pathNoExt, w, h, paint)
}

// paintFigure draws a figure of size w x h with paint, once as SVG and
// once as PNG, and writes pathNoExt.svg and .png.
func paintFigure(pathNoExt string, w, h vg.Length, paint func(vg.CanvasSizer)) ([]string, error) {
	svg := vgsvg.New(w, h)
	paint(svg)
	raster := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	paint(raster)
	return writeFigure(pathNoExt, map[string]io.WriterTo{"svg": svg, "png": vgimg.PngCanvas{Canvas: raster}})
}

// filterTile is the size in pixels a filter is enlarged to (by a whole
// factor, nearest neighbour), so 3x3 and 7x7 filters are both visible.
const filterTile = 64

// maxGridPixels bounds the filter image (256 MiB of RGBA): a conv layer of
// a hundred thousand filters gets an error, not an out-of-memory crash.
const maxGridPixels = 1 << 26

// filterGrid lays out the filters of f as one image: ceil(√F) filters per
// row, each enlarged by a whole factor to about 64 pixels and normalised on
// its own to [0, 255], on a white background with a gap between tiles.
func filterGrid(f *Filters) (*image.RGBA, error) {
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
