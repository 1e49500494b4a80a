package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// EvalsDir is the store's folder of evaluations: a trial's kept weights
// measured on one split of one data set, cached under EvalKey.
const EvalsDir = "evals"

// Evaluation is what evaluate() measured: accuracy, loss, per-class
// accuracy and the confusion matrix of a trial's kept model on a split of
// a data set, and its most confidently misclassified images.
type Evaluation struct {
	Key       string    `json:"key"` // the trial's
	Data      DataSpec  `json:"data"`
	Split     string    `json:"split"`
	Images    int       `json:"images"`
	Accuracy  float64   `json:"accuracy"`
	Loss      float64   `json:"loss"`
	ClassAcc  []float64 `json:"class_accuracy"` // by true class, in Data.Classes order
	Confusion [][]int   `json:"confusion"`      // [true][predicted]
	Worst     []Miss    `json:"worst"`          // most confident mistakes first, at most MaxWorst
	// Shape is the images' channels, height and width: the pixels of each
	// Miss are that many bytes, so the misclassified figure is drawn again
	// (by pipe report) without the data set.
	Shape [3]int `json:"shape"`
}

// Miss is one misclassified image.
type Miss struct {
	Index int     `json:"index"` // in the split
	Label int     `json:"label"`
	Pred  int     `json:"pred"`
	Prob  float64 `json:"prob"` // the model's probability of Pred
	// Pixels are the image's C*H*W bytes, channel-major (base64 in JSON).
	Pixels []byte `json:"pixels"`
}

// MaxWorst is how many misclassified images an Evaluation keeps.
const MaxWorst = 16

// EvalKey names the evaluation of trial key on split of the data d: the
// first 16 bytes of SHA-256 over the three, as hex.
func EvalKey(key string, d DataSpec, split string) string {
	b, _ := json.Marshal(struct {
		Key   string   `json:"key"`
		Data  DataSpec `json:"data"`
		Split string   `json:"split"`
	}{key, d, split}) // plain strings and numbers: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:keyBytes])
}

func (c *Cache) evalPath(id string) string { return filepath.Join(c.root(), EvalsDir, id+".json") }

// GetEvaluation returns the cached evaluation id (an EvalKey), ok=false
// when there is none or it cannot be trusted: torn, edited (its seal, see
// Seal), written without a seal, or inconsistent. It is then computed again.
func (c *Cache) GetEvaluation(id string) (Evaluation, bool) {
	if !validKey(id) {
		return Evaluation{}, false
	}
	b, err := os.ReadFile(c.evalPath(id))
	if err != nil {
		return Evaluation{}, false
	}
	var ev Evaluation
	if Unseal(b) != nil || json.Unmarshal(b, &ev) != nil || EvalKey(ev.Key, ev.Data, ev.Split) != id || ev.check() != nil {
		return Evaluation{}, false
	}
	return ev, true
}

// check reports whether the evaluation's parts agree with each other.
func (ev Evaluation) check() error {
	k := len(ev.Data.Classes)
	if len(ev.ClassAcc) != k || len(ev.Confusion) != k {
		return errors.New("class counts disagree")
	}
	n := 0
	for _, row := range ev.Confusion {
		if len(row) != k {
			return errors.New("confusion matrix is not square")
		}
		for _, v := range row {
			n += v
		}
	}
	if n != ev.Images {
		return errors.New("confusion matrix does not count every image")
	}
	c, h, w := ev.Shape[0], ev.Shape[1], ev.Shape[2]
	if len(ev.Worst) > 0 && (c != 1 && c != 3 || h <= 0 || w <= 0 || h > 1<<12 || w > 1<<12) {
		return fmt.Errorf("image shape %v: want 1 or 3 channels of at most 4096x4096 pixels", ev.Shape)
	}
	for _, m := range ev.Worst {
		if m.Label < 0 || m.Label >= k || m.Pred < 0 || m.Pred >= k || m.Index < 0 || m.Index >= ev.Images {
			return errors.New("misclassified image out of range")
		}
		if len(m.Pixels) != c*h*w {
			return fmt.Errorf("misclassified image %d has %d bytes of pixels, want %d", m.Index, len(m.Pixels), c*h*w)
		}
	}
	return nil
}

// PutEvaluation caches ev under its EvalKey, atomically and sealed.
func (c *Cache) PutEvaluation(ev Evaluation) error {
	b, err := Seal(ev)
	if err != nil {
		return fmt.Errorf("results: encoding evaluation: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(c.root(), EvalsDir), 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return writeFileAtomic(c.evalPath(EvalKey(ev.Key, ev.Data, ev.Split)), b)
}

// Table is the per-class table of ev: each true class with its images,
// accuracy and how many were predicted as each class.
func (ev Evaluation) Table(title string) Table {
	t := Table{Title: title, Columns: []string{"class", "images", "accuracy"}}
	for _, c := range ev.Data.Classes {
		t.Columns = append(t.Columns, "as "+c)
	}
	for i, c := range ev.Data.Classes {
		n := 0
		for _, v := range ev.Confusion[i] {
			n += v
		}
		row := []string{c, strconv.Itoa(n), strconv.FormatFloat(ev.ClassAcc[i], 'f', 4, 64)}
		for _, v := range ev.Confusion[i] {
			row = append(row, strconv.Itoa(v))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Rows = append(t.Rows, []string{"all", strconv.Itoa(ev.Images), strconv.FormatFloat(ev.Accuracy, 'f', 4, 64)})
	for range ev.Data.Classes {
		t.Rows[len(t.Rows)-1] = append(t.Rows[len(t.Rows)-1], "")
	}
	return t
}

// writeTable writes t as Markdown and CSV under dir/tables/slug.
func writeTable(dir, slug string, t Table) (md, csv string, err error) {
	return (&TableSpec{Title: t.Title, Slug: slug}).WriteFiles(dir, t)
}

// drawConfusion draws ev's confusion matrix, true classes down, predicted
// across, each cell shaded by its share of the row and labelled with its
// count, as dir/figures/slug.svg and .png.
func drawConfusion(dir, slug, title string, ev Evaluation) ([]string, error) {
	k := len(ev.Data.Classes)
	style := plot.New().Title.TextStyle
	label := style
	label.Font.Size = vg.Points(9)
	const cell = vg.Length(40)
	labelW := vg.Length(0)
	for _, c := range ev.Data.Classes {
		labelW = max(labelW, label.Width(c))
	}
	margin := vg.Length(8)
	w := margin*3 + labelW + cell*vg.Length(k)
	h := margin*3 + style.Height(title) + label.Height("x")*2 + cell*vg.Length(k)
	paint := func(c vg.CanvasSizer) {
		dc := draw.New(c)
		dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: w, Y: 0}, {X: w, Y: h}, {X: 0, Y: h}})
		t := style
		t.XAlign, t.YAlign = draw.XCenter, draw.YTop
		dc.FillText(t, vg.Point{X: w / 2, Y: h - margin}, title)
		x0 := margin*2 + labelW
		top := margin + cell*vg.Length(k)
		l := label
		l.XAlign, l.YAlign = draw.XCenter, draw.YBottom
		for j, c := range ev.Data.Classes {
			dc.FillText(l, vg.Point{X: x0 + cell*vg.Length(j) + cell/2, Y: top + 2}, c)
		}
		l.XAlign, l.YAlign = draw.XRight, draw.YCenter
		for i, c := range ev.Data.Classes {
			y := top - cell*vg.Length(i+1)
			dc.FillText(l, vg.Point{X: x0 - 4, Y: y + cell/2}, c)
			n := 0
			for _, v := range ev.Confusion[i] {
				n += v
			}
			for j, v := range ev.Confusion[i] {
				share := 0.0
				if n > 0 {
					share = float64(v) / float64(n)
				}
				g := uint8(255 - 200*share)
				x := x0 + cell*vg.Length(j)
				dc.FillPolygon(color.RGBA{g, g, 255, 255}, []vg.Point{{X: x, Y: y}, {X: x + cell, Y: y}, {X: x + cell, Y: y + cell}, {X: x, Y: y + cell}})
				num := label
				num.XAlign, num.YAlign = draw.XCenter, draw.YCenter
				if share > 0.6 {
					num.Color = color.White
				}
				dc.FillText(num, vg.Point{X: x + cell/2, Y: y + cell/2}, strconv.Itoa(v))
			}
		}
	}
	return paintFigure(filepath.Join(dir, "figures", slug), w, h, paint)
}

// drawMisclassified draws the images of ev.Worst (grey for one channel,
// RGB for three), each with its true and predicted class and the
// probability the model gave, as dir/figures/slug.svg and .png.
func drawMisclassified(dir, slug, title string, ev Evaluation) ([]string, error) {
	if len(ev.Worst) == 0 {
		return nil, fmt.Errorf("results: %s: no misclassified images to draw", title)
	}
	c, hgt, wid := ev.Shape[0], ev.Shape[1], ev.Shape[2]
	const scale, cols = 3, 4
	rows := (len(ev.Worst) + cols - 1) / cols
	style := plot.New().Title.TextStyle
	label := style
	label.Font.Size = vg.Points(7)
	px := func(n int) vg.Length { return vg.Length(n) * vg.Inch / dpi }
	tileW := max(px(wid*scale), label.Width("true: T-shirt/top")) + px(12)
	tileH := px(hgt*scale) + label.Height("x")*2 + px(12)
	margin := px(8)
	w := margin*2 + tileW*cols
	h := margin*3 + style.Height(title) + tileH*vg.Length(rows)
	paint := func(cv vg.CanvasSizer) {
		dc := draw.New(cv)
		dc.FillPolygon(color.White, []vg.Point{{X: 0, Y: 0}, {X: w, Y: 0}, {X: w, Y: h}, {X: 0, Y: h}})
		t := style
		t.XAlign, t.YAlign = draw.XCenter, draw.YTop
		dc.FillText(t, vg.Point{X: w / 2, Y: h - margin}, title)
		top := h - margin*2 - style.Height(title)
		for n, m := range ev.Worst {
			x := margin + tileW*vg.Length(n%cols)
			y := top - tileH*vg.Length(n/cols+1)
			img := image.NewRGBA(image.Rect(0, 0, wid*scale, hgt*scale))
			p := m.Pixels
			for yy := 0; yy < hgt*scale; yy++ {
				for xx := 0; xx < wid*scale; xx++ {
					o := (yy/scale)*wid + xx/scale
					var col color.RGBA
					if c == 3 {
						col = color.RGBA{p[o], p[hgt*wid+o], p[2*hgt*wid+o], 255}
					} else {
						col = color.RGBA{p[o], p[o], p[o], 255}
					}
					img.SetRGBA(xx, yy, col)
				}
			}
			iy := y + label.Height("x")*2 + px(6)
			dc.DrawImage(vg.Rectangle{Min: vg.Point{X: x + px(6), Y: iy}, Max: vg.Point{X: x + px(6+wid*scale), Y: iy + px(hgt*scale)}}, img)
			l := label
			l.XAlign, l.YAlign = draw.XLeft, draw.YBottom
			dc.FillText(l, vg.Point{X: x + px(6), Y: y + label.Height("x") + px(3)}, "true: "+ev.Data.Classes[m.Label])
			dc.FillText(l, vg.Point{X: x + px(6), Y: y + px(3)}, fmt.Sprintf("pred: %s %.0f%%", ev.Data.Classes[m.Pred], 100*m.Prob))
		}
	}
	return paintFigure(filepath.Join(dir, "figures", slug), w, h, paint)
}

// EvalSpec is one table() or plot() of an evaluation in a manifest. The
// evaluation itself is kept in the manifest (it is small: per-class
// figures and at most MaxWorst images), so pipe report draws it again
// with neither weights nor data set.
type EvalSpec struct {
	// Kind is "table" (accuracy by class), "confusion" or "misclassified".
	Kind  string     `json:"kind"`
	Title string     `json:"title"`
	Slug  string     `json:"slug"`
	Eval  Evaluation `json:"evaluation"`
}

// Render writes the table or figure of s under dir: the table's Markdown
// and CSV, or the figure's SVG and PNG. It returns the table (for the
// report; empty for a figure) and the files written.
func (s *EvalSpec) Render(dir string) (Table, []string, error) {
	if err := s.Eval.check(); err != nil {
		return Table{}, nil, fmt.Errorf("results: evaluation %q: %v", s.Title, err)
	}
	switch s.Kind {
	case "table":
		t := s.Eval.Table(s.Title)
		md, csv, err := writeTable(dir, s.Slug, t)
		t.Slug = s.Slug
		return t, []string{md, csv}, err
	case "confusion":
		files, err := drawConfusion(dir, s.Slug, s.Title, s.Eval)
		return Table{}, files, err
	case "misclassified":
		files, err := drawMisclassified(dir, s.Slug, s.Title, s.Eval)
		return Table{}, files, err
	}
	return Table{}, nil, fmt.Errorf("results: evaluation %q: unknown kind %q (want table, confusion or misclassified)", s.Title, s.Kind)
}
