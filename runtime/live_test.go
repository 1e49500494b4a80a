package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// A run keeps a progress file per trial it trains under <root>/live while
// the trial trains, with the trial's label and progress, and leaves none
// behind: neither after a trial finished nor after one failed.
func TestRunWritesAndRemovesProgressFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"p.star": "trials([1, 2])\ntrials([3])\n"})
	chdir(t, dir)
	root := filepath.Join(dir, "out")
	var seen []results.Live
	train := func(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
		for i := 1; i <= 3; i++ {
			run.Progress(nn.Progress{Epoch: 1, Epochs: 1, Iter: i, Iters: 3, Loss: 2 / float64(i)})
		}
		live, bad := results.ReadLive(root)
		if len(bad) > 0 {
			t.Errorf("unreadable progress files: %v", bad)
		}
		seen = append(seen, live...)
		if cfg.Seed == 3 {
			return nn.Result{}, nil, nil, os.ErrDeadlineExceeded // fails: its file must go too
		}
		return nn.Result{Status: "ok", Loss: []float64{2, 1, 0.67}, TrainAccs: []float64{0.5}, ValAccs: []float64{0.5}}, nil, nil, nil
	}
	err := Run(context.Background(), Options{File: "p.star", OutDir: filepath.Join(root, "p"), Jobs: 1, Predeclared: testPredeclared(), Train: train})
	if err == nil {
		t.Fatal("the failing trial did not fail the run")
	}
	if len(seen) != 3 {
		t.Fatalf("saw %d progress files during 3 trainings (one at a time), want one each: %+v", len(seen), seen)
	}
	for i, l := range seen {
		want := job(uint64(i + 1))
		if l.Key != want.Trial.Key() || l.Label != want.Label || l.Pipeline != "p.star" || l.Group != "trials" {
			t.Errorf("progress file %d = %+v, want key %s label %s", i, l, want.Trial.Key(), want.Label)
		}
		if l.Iter != 3 || l.Iters != 3 || l.Loss != 2.0/3 || len(l.Curve) != 3 || l.Curve[0] != [2]float64{1, 2} {
			t.Errorf("progress file %d after the last iteration = %+v", i, l)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, results.LiveDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// The curve of a progress file stays under MaxLiveCurve points however long
// the run, keeping its first and evenly spaced later iterations.
func TestLiveCurveThinning(t *testing.T) {
	var l results.Live
	every := 1
	for i := 1; i <= 10000; i++ {
		every = l.AddPoint(i, float64(i), every)
	}
	if n := len(l.Curve); n > results.MaxLiveCurve || n < results.MaxLiveCurve/2 {
		t.Fatalf("%d points after 10000 iterations, want between %d and %d", n, results.MaxLiveCurve/2, results.MaxLiveCurve)
	}
	for i := 1; i < len(l.Curve); i++ {
		if d := l.Curve[i][0] - l.Curve[i-1][0]; d != float64(every) {
			t.Fatalf("points %d and %d are %v iterations apart, want %d", i-1, i, d, every)
		}
	}
	if last := l.Curve[len(l.Curve)-1][0]; last < 10000-float64(every) {
		t.Errorf("the curve ends at iteration %v of 10000", last)
	}
}
