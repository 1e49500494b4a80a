package results

import (
	"math"
	"path/filepath"
	"slices"
	"testing"
)

func TestLogScaled(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want bool
	}{
		{[]float64{1e-4, 1e-3, 1e-2}, true},
		{[]float64{0.000101, 0.00996}, true},
		{[]float64{0, 1e-4, 1e-1}, false},
		{[]float64{100, 700}, false},
		{[]float64{1e-3}, false},
	} {
		if got := logScaled(c.xs); got != c.want {
			t.Errorf("logScaled(%v) = %v", c.xs, got)
		}
	}
	var labels []string
	for _, tk := range (sigTicks{log: true}).Ticks(1e-4, 1e-2) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if want := []string{"0.0001", "0.0002", "0.0005", "0.001", "0.002", "0.005", "0.01"}; !slices.Equal(labels, want) {
		t.Errorf("log ticks %q, want %q", labels, want)
	}
}

// TestSearchFigures: proposals average their seeds, a diverged one is the
// worst, and the three search figures draw.
func TestSearchFigures(t *testing.T) {
	var recs []Record
	for i, lr := range []float64{1e-4, 3e-3, 5e-4} {
		for seed := range 2 {
			r := sweepRecord(3, uint64(seed), 0.7+0.05*float64(i)+0.01*float64(seed))
			r.Trial.Settings = []Setting{{Name: "lr", Value: lr}, {Name: "hidden_dim", Value: int64(100 * (i + 1))}, {Name: "seed", Value: int64(seed)}}
			r.Trial.Train.Optimizer.LR = lr
			r.Key = r.Trial.Key()
			recs = append(recs, r)
		}
	}
	recs[5].Result.Status = "diverged"
	got := proposals(recs, "val_acc")
	if len(got) != 3 || math.Abs(got[0]-0.705) > 1e-12 || math.Abs(got[1]-0.755) > 1e-12 || !math.IsInf(got[2], -1) {
		t.Errorf("proposals = %v, want [0.705 0.755 -Inf]", got)
	}
	dir := t.TempDir()
	for _, x := range []string{XTrial, XSettings, "lr"} {
		s := &PlotSpec{Metric: "val_acc", X: x, Hue: "", Title: "t " + x, Slug: "f-" + x}
		if x == "lr" {
			s.Hue = "hidden_dim"
		}
		paths, err := s.Draw(dir, recs)
		if err != nil || len(paths) != 2 || filepath.Dir(paths[0]) != filepath.Join(dir, "figures") {
			t.Errorf("x = %s: %v %v", x, paths, err)
		}
	}
	if _, err := (&PlotSpec{Metric: "loss", X: "lr", Slug: "x"}).Draw(dir, recs); err == nil {
		t.Error("x with metric loss drew")
	}
}
