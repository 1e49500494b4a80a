package results

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pipe-ml/pipe/nn"
)

// curveSweep is a filter-size sweep with plausible noisy curves: 240
// iterations and 5 epochs per trial, one trial diverging at the end.
func curveSweep() []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []Record
	for i, fs := range []int64{3, 5, 7} {
		rec := sweepRecord(fs, 0, 0.8)
		rec.Trial.Train.Epochs = 5
		rec.Key = rec.Trial.Key()
		rec.Result.Loss = make([]float64, 240)
		for it := range rec.Result.Loss {
			rec.Result.Loss[it] = 0.3 + 0.4*math.Exp(-float64(it)/(40+20*float64(i))) + 0.08*rng.NormFloat64()
		}
		rec.Result.TrainAccs = make([]float64, 5)
		rec.Result.ValAccs = make([]float64, 5)
		for e := range 5 {
			rec.Result.TrainAccs[e] = 0.75 + 0.04*float64(e) - 0.01*float64(i)
			rec.Result.ValAccs[e] = 0.74 + 0.02*float64(e) - 0.015*float64(i) - 0.003*float64(e*e)
		}
		recs = append(recs, rec)
	}
	last := &recs[2].Result
	last.Loss = append(last.Loss, 50, math.NaN())
	return recs
}

// testFilters makes n oriented-stripe filters of ch channels, size k, with
// different scales, so each tile should show a clear full-contrast pattern.
func testFilters(n, ch, k int) *Filters {
	f := &Filters{Shape: [4]int{n, ch, k, k}, Data: make([]float32, n*ch*k*k)}
	for i := range n {
		theta := float64(i) * math.Pi / float64(n)
		scale := float32(1e-3 * float64(i+1))
		for c := range ch {
			for y := range k {
				for x := range k {
					v := math.Cos(2*(float64(x)*math.Cos(theta)+float64(y)*math.Sin(theta)) + float64(c))
					f.Data[((i*ch+c)*k+y)*k+x] = scale * float32(v)
				}
			}
		}
	}
	return f
}

func checkFigure(t *testing.T, paths []string, pathNoExt string) image.Image {
	t.Helper()
	if len(paths) != 2 || paths[0] != pathNoExt+".svg" || paths[1] != pathNoExt+".png" {
		t.Fatalf("paths %v, want %s.svg and .png", paths, pathNoExt)
	}
	svg := readFile(t, paths[0])
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("%s is not an SVG", paths[0])
	}
	img, err := png.Decode(bytes.NewReader(readFile(t, paths[1])))
	if err != nil {
		t.Fatalf("%s: %v", paths[1], err)
	}
	entries, _ := os.ReadDir(filepath.Dir(pathNoExt))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temp file %s left behind", e.Name())
		}
	}
	return img
}

func TestPlotLossAndAccuracy(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("RESULTS_PLOT_DIR"); d != "" {
		dir = d // keep the figures to look at them
	}
	recs := curveSweep()
	labels := []string{"filter 3", "filter 5", "filter 7"}
	for name, plot := range map[string]func([]Record, []string, string, string) ([]string, error){
		"loss": plotLoss,
		"accuracy": func(r []Record, l []string, t, p string) ([]string, error) {
			return plotAccuracy(r, l, t, p, "accuracy")
		},
	} {
		path := filepath.Join(dir, "figures", name)
		paths, err := plot(recs, labels, "Filter size: "+name, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img := checkFigure(t, paths, path)
		checkPrintable(t, name, img)
		// Curves are drawn: the figure is not just white, black and grey.
		if colours := countColours(img); colours < 20 {
			t.Errorf("%s PNG has only %d distinct colours", name, colours)
		}
		// Same input, same bytes: figures may be compared across runs.
		again, err := plot(recs, labels, "Filter size: "+name, filepath.Join(t.TempDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range paths {
			if !bytes.Equal(readFile(t, paths[i]), readFile(t, again[i])) {
				t.Errorf("%s differs between two identical calls", filepath.Base(paths[i]))
			}
		}
	}
	// Default labels come from the settings.
	if _, err := plotLoss(recs[:1], nil, "one", filepath.Join(dir, "one")); err != nil {
		t.Error(err)
	}
}

// checkPrintable checks what a figure for a paper needs of its PNG: 2x
// resolution (1536x960), an opaque background, and a white margin that
// keeps the title and labels off every edge.
func checkPrintable(t *testing.T, name string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != 1536 || b.Dy() != 960 {
		t.Errorf("%s PNG is %dx%d, want 1536x960", name, b.Dx(), b.Dy())
	}
	const edge = 12 // pixels; the margin is 2.5 mm, 19 pixels at 192 dpi
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a != 0xffff {
				t.Fatalf("%s: pixel (%d, %d) is not opaque (alpha %d)", name, x, y, a>>8)
			}
			inEdge := x < edge || y < edge || x >= b.Max.X-edge || y >= b.Max.Y-edge
			if inEdge && (r != 0xffff || g != 0xffff || bl != 0xffff) {
				t.Fatalf("%s: pixel (%d, %d) by the edge is drawn on (%d,%d,%d): no margin", name, x, y, r>>8, g>>8, bl>>8)
			}
		}
	}
}

// The palette has ten colours before any repeats; past ten, dashes tell
// trials apart.
func TestPaletteTenDistinct(t *testing.T) {
	seen := map[color.Color]int{}
	for i := 0; i < 10; i++ {
		c := trialColor(i)
		if j, ok := seen[c]; ok {
			t.Errorf("trials %d and %d share colour %v", j, i, c)
		}
		seen[c] = i
		if trialDashes(i) != nil {
			t.Errorf("trial %d is dashed", i)
		}
	}
	if trialDashes(10) == nil || trialColor(10) != trialColor(0) {
		t.Error("the eleventh trial repeats the first colour without dashes")
	}
}

// The legend sits outside the data area, to its right, and the loss
// figure's legend says what the smoothed and faint lines are.
func TestFigureLegendOutsideData(t *testing.T) {
	recs := curveSweep()
	p, labels, err := curvePlot(recs, nil, "t", "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		l, _ := plotter.NewLine(finitePoints(r.Result.Loss, 1))
		p.Add(l)
		p.Legend.Add(labels[i], l)
	}
	legend := p.Legend
	p.Legend = plot.NewLegend()
	c := vgimg.New(figWidth, figHeight)
	data, leg := drawFigure(p, &legend, draw.New(c))
	if leg.Min.X < data.Max.X || leg.Size().X <= 0 {
		t.Errorf("legend %v overlaps the data area %v", leg, data)
	}
	if leg.Max.Y > data.Max.Y+1 {
		t.Errorf("legend %v is above the data area %v", leg, data)
	}
	paths, err := plotLoss(recs, nil, "Loss", filepath.Join(t.TempDir(), "loss"))
	if err != nil {
		t.Fatal(err)
	}
	svg := string(readFile(t, paths[0]))
	for _, want := range []string{"moving average, ±2% of the run", "raw loss per iteration"} {
		if !strings.Contains(svg, want) {
			t.Errorf("loss legend lacks %q", want)
		}
	}
}

func countColours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r != g || g != bl {
				seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
	}
	return len(seen)
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	recs := curveSweep()
	if _, err := plotLoss(recs, []string{"a"}, "Loss", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "1 labels for 3 records") {
		t.Errorf("label mismatch: err = %v", err)
	}
	if _, err := plotAccuracy(nil, nil, "Acc", filepath.Join(dir, "x"), "accuracy"); err == nil || !strings.Contains(err.Error(), "no records") {
		t.Errorf("no records: err = %v", err)
	}
	if _, err := plotFilters(nil, "Filters", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "no filters") {
		t.Errorf("nil filters: err = %v", err)
	}
	bad := &Filters{Shape: [4]int{2, 1, 2, 2}, Data: make([]float32, 3)}
	if _, err := plotFilters(bad, "Filters", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "needs 8 values") {
		t.Errorf("bad filters: err = %v", err)
	}
}

func TestPlotFilters(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("RESULTS_PLOT_DIR"); d != "" {
		dir = d
	}
	for _, c := range []struct {
		name     string
		n, ch, k int
	}{{"filters_rgb", 32, 3, 7}, {"filters_grey", 16, 1, 5}} {
		path := filepath.Join(dir, "figures", c.name)
		paths, err := plotFilters(testFilters(c.n, c.ch, c.k), "First-layer filters", path)
		if err != nil {
			t.Fatal(err)
		}
		img := checkFigure(t, paths, path)
		grid, _ := filterGrid(testFilters(c.n, c.ch, c.k))
		// The grid is drawn 1:1 with an 8-pixel margin, under the title.
		if b, g := img.Bounds(), grid.Bounds(); b.Dx() != g.Dx()+16 || b.Dy() < g.Dy()+16+10 || b.Dy() > g.Dy()+16+40 {
			t.Errorf("%s: PNG %v for a %v grid", c.name, b.Size(), g.Size())
		}
		// The grid's pixels appear unchanged, 8 pixels in from the left and
		// the bottom.
		b, g := img.Bounds(), grid.Bounds()
		mismatch := 0
		for y := 0; y < g.Dy(); y++ {
			for x := 0; x < g.Dx(); x++ {
				r1, g1, b1, _ := img.At(8+x, b.Dy()-8-g.Dy()+y).RGBA()
				r2, g2, b2, _ := grid.At(x, y).RGBA()
				if r1 != r2 || g1 != g2 || b1 != b2 {
					mismatch++
				}
			}
		}
		if mismatch > 0 {
			t.Errorf("%s: %d of %d grid pixels differ in the figure", c.name, mismatch, g.Dx()*g.Dy())
		}
		again, err := plotFilters(testFilters(c.n, c.ch, c.k), "First-layer filters", filepath.Join(t.TempDir(), c.name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range paths {
			if !bytes.Equal(readFile(t, paths[i]), readFile(t, again[i])) {
				t.Errorf("%s differs between two identical calls", filepath.Base(paths[i]))
			}
		}
	}
}

func TestFilterGrid(t *testing.T) {
	// Two 1-channel 2x2 filters on very different scales: each is
	// normalised on its own, so both span 0..255.
	f := &Filters{Shape: [4]int{2, 1, 2, 2}, Data: []float32{-1, 0, 1, 0.5, 100, 300, 200, 100}}
	img, err := filterGrid(f)
	if err != nil {
		t.Fatal(err)
	}
	scale := filterTile / 2
	gap := scale / 2
	// cols = ceil(sqrt(2)) = 2, one row.
	if b := img.Bounds(); b.Dx() != 2*(2*scale+gap)+gap || b.Dy() != 2*scale+2*gap {
		t.Fatalf("grid %v", b)
	}
	px := func(k, y, x int) [3]uint8 {
		o := img.PixOffset(gap+k*(2*scale+gap)+x*scale+scale/2, gap+y*scale+scale/2)
		return [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]}
	}
	want := map[[3]int][3]uint8{
		{0, 0, 0}: {0, 0, 0}, {0, 1, 0}: {255, 255, 255}, {0, 0, 1}: {128, 128, 128}, {0, 1, 1}: {191, 191, 191},
		{1, 0, 0}: {0, 0, 0}, {1, 0, 1}: {255, 255, 255}, {1, 1, 0}: {128, 128, 128},
	}
	for pos, w := range want {
		if got := px(pos[0], pos[1], pos[2]); got != w {
			t.Errorf("filter %d pixel (%d,%d) = %v, want %v", pos[0], pos[1], pos[2], got, w)
		}
	}
	if o := img.PixOffset(0, 0); img.Pix[o] != 255 {
		t.Error("background is not white")
	}

	// Three channels map to red, green and blue, normalised together.
	rgb := &Filters{Shape: [4]int{1, 3, 1, 1}, Data: []float32{2, -2, 0}}
	img, err = filterGrid(rgb)
	if err != nil {
		t.Fatal(err)
	}
	o := img.PixOffset(filterTile/2, filterTile/2)
	if got := [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]}; got != [3]uint8{255, 0, 128} {
		t.Errorf("RGB pixel %v, want [255 0 128]", got)
	}

	// A grid too large to hold in memory is an error.
	if _, err := filterGrid(&Filters{Shape: [4]int{100000, 1, 1, 1}, Data: make([]float32, 100000)}); err == nil || !strings.Contains(err.Error(), "too large to draw") {
		t.Errorf("100000 filters: %v, want a too-large error", err)
	}

	// A constant filter is mid-grey rather than a division by zero.
	img, _ = filterGrid(&Filters{Shape: [4]int{1, 1, 1, 1}, Data: []float32{3}})
	if o := img.PixOffset(filterTile/2, filterTile/2); img.Pix[o] != 128 {
		t.Errorf("constant filter pixel %d, want 128", img.Pix[o])
	}
}

// oneEpochSweep is a one-epoch sweep of the base model over setting name,
// seeds records per value (with a "seed" setting when seeds > 1), in the
// given order, with accuracies that depend on the value's position.
func oneEpochSweep(name string, values []any, seeds int) []Record {
	var recs []Record
	for i, v := range values {
		for s := range seeds {
			t := baseTrial()
			t.Train.Epochs, t.Train.Seed = 1, uint64(s)
			t.Settings = []Setting{{"data", "fashion"}, {name, v}}
			if seeds > 1 {
				t.Settings = append(t.Settings, Setting{seedSetting, int64(s)})
			}
			acc := 0.85 - 0.08*float64(i*i)/float64(len(values)) + 0.01*float64(s)
			res := nn.Result{Status: "ok", Loss: []float64{0.7, 0.5},
				TrainAccs: []float64{acc + 0.02}, ValAccs: []float64{acc}, BestEpoch: 1,
				TrainAcc: acc + 0.02, ValAcc: acc, TestAcc: acc - 0.01}
			recs = append(recs, NewRecord(t, res, 10, timeFixed))
		}
	}
	return recs
}

func TestOneEpochSweepAxis(t *testing.T) {
	dropout := oneEpochSweep("dropout", []any{0.5, int64(0), 0.1, 0.8}, 1)
	axis, ok := oneEpochSweepAxis(dropout)
	if !ok || axis.name != "dropout" || len(axis.values) != 4 || axis.values[0] != 0.5 || axis.values[1] != 0 {
		t.Errorf("dropout sweep: axis %+v, %v; want dropout [0.5 0 0.1 0.8]", axis, ok)
	}
	if axis, ok := oneEpochSweepAxis(oneEpochSweep("hidden_dim", []any{int64(100), int64(500)}, 3)); !ok || axis.name != "hidden_dim" || len(axis.values) != 6 {
		t.Errorf("seeded hidden_dim sweep: axis %+v, %v; want hidden_dim over 6 records", axis, ok)
	}

	twoEpochs := oneEpochSweep("dropout", []any{0.0, 0.5}, 1)
	twoEpochs[1].Result.ValAccs = []float64{0.8, 0.81}
	twoSettings := oneEpochSweep("dropout", []any{0.0, 0.5}, 1)
	twoSettings[1].Trial.Settings[0].Value = "cifar"
	extra := oneEpochSweep("dropout", []any{0.0, 0.5}, 1)
	extra[1].Trial.Settings = append(extra[1].Trial.Settings, Setting{"lr", 0.1})
	missing := oneEpochSweep("dropout", []any{0.0, 0.5}, 1)
	missing[1].Trial.Settings[1].Name = "reg"
	for name, recs := range map[string][]Record{
		"multi-epoch curves":   curveSweep(),
		"one epoch of two":     twoEpochs,
		"two settings vary":    twoSettings,
		"an extra setting":     extra,
		"different settings":   missing,
		"string values":        oneEpochSweep("optimizer", []any{"adam", "sgd"}, 1),
		"only the seed varies": oneEpochSweep("dropout", []any{0.5}, 3),
		"one record":           oneEpochSweep("dropout", []any{0.5}, 1),
		"same value twice":     oneEpochSweep("dropout", []any{0.5, 0.5}, 1),
		"0 and 0.0":            oneEpochSweep("dropout", []any{int64(0), 0.0}, 1),
	} {
		if axis, ok := oneEpochSweepAxis(recs); ok {
			t.Errorf("%s: chose the setting figure over %q", name, axis.name)
		}
	}
}

// seriesColumns counts the PNG columns holding a pixel of exactly colour c.
func seriesColumns(img image.Image, c color.Color) int {
	want := color.RGBAModel.Convert(c).(color.RGBA)
	n := 0
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == want {
				n++
				break
			}
		}
	}
	return n
}

func TestPlotAccuracyBySetting(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("RESULTS_PLOT_DIR"); d != "" {
		dir = d
	}
	for _, c := range []struct {
		name   string
		recs   []Record
		labels []string // tick labels, in order, that the SVG must show
	}{
		{"dropout", oneEpochSweep("dropout", []any{0.0, 0.1, 0.3, 0.5, 0.8}, 1), []string{"0", "0.1", "0.3", "0.5", "0.8"}},
		{"reg", oneEpochSweep("reg", []any{1e-1, 0.0, 1e-3, 1e-4, 1e-2}, 1), []string{"0", "0.0001", "0.001", "0.01", "0.1"}},
		{"hidden_dim_seeds", oneEpochSweep("hidden_dim", []any{int64(700), int64(100), int64(300)}, 3), []string{"100", "300", "700"}},
	} {
		path := filepath.Join(dir, "figures", "by_"+c.name)
		paths, err := plotAccuracy(c.recs, nil, "Sweep: accuracy", path, "accuracy")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		img := checkFigure(t, paths, path)
		checkPrintable(t, c.name, img)
		// The validation line runs across the categories (most of the
		// width), where the per-epoch figure would be one column of points.
		if cols := seriesColumns(img, trialColor(0)); cols < 600 {
			t.Errorf("%s: validation colour in only %d columns, want a line across the figure", c.name, cols)
		}
		svg := string(readFile(t, paths[0]))
		last := -1
		for _, l := range append([]string{c.recs[0].Trial.Settings[1].Name}, c.labels...) {
			i := strings.Index(svg, ">"+l+"<")
			if i < 0 {
				t.Errorf("%s: SVG has no text %q", c.name, l)
			} else if i < last && l != c.recs[0].Trial.Settings[1].Name {
				t.Errorf("%s: tick %q out of order", c.name, l)
			}
			last = i
		}
		again, err := plotAccuracy(c.recs, nil, "Sweep: accuracy", filepath.Join(t.TempDir(), c.name), "accuracy")
		if err != nil {
			t.Fatal(err)
		}
		for i := range paths {
			if !bytes.Equal(readFile(t, paths[i]), readFile(t, again[i])) {
				t.Errorf("%s differs between two identical calls", filepath.Base(paths[i]))
			}
		}
	}
	// The per-epoch figure of one-epoch records is one column of points:
	// the same check fails there, so it does tell the two figures apart.
	recs := oneEpochSweep("dropout", []any{0.0, 0.5, 0.8}, 1)
	recs[1].Trial.Settings = append(recs[1].Trial.Settings, Setting{"lr", 0.1})
	path := filepath.Join(dir, "figures", "per_epoch_one")
	paths, err := plotAccuracy(recs, nil, "Sweep: accuracy", path, "accuracy")
	if err != nil {
		t.Fatal(err)
	}
	if cols := seriesColumns(checkFigure(t, paths, path), trialColor(0)); cols == 0 || cols >= 600 {
		t.Errorf("per-epoch figure: colour in %d columns; the check cannot tell the figures apart", cols)
	}
	// Labels are still checked.
	if _, err := plotAccuracy(oneEpochSweep("reg", []any{0.0, 0.1}, 1), []string{"a"}, "Acc", filepath.Join(dir, "x"), "accuracy"); err == nil || !strings.Contains(err.Error(), "1 labels for 2 records") {
		t.Errorf("label mismatch: err = %v", err)
	}
}
