package results

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/nn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// baseTrial is the course's base model on the embedded data set, spelled out
// by hand so these tests do not depend on nn's constructors.
func baseTrial() Trial {
	return Trial{
		Model: nn.ModelSpec{
			Layers: []nn.LayerSpec{
				{Kind: nn.Conv, Filters: 32, FilterH: 7, FilterW: 7, Stride: 1, Pad: 3},
				{Kind: nn.ReLU},
				{Kind: nn.MaxPool, PoolH: 2, PoolW: 2, PoolStride: 2},
				{Kind: nn.Affine, Out: 500},
				{Kind: nn.ReLU},
				{Kind: nn.Affine},
			},
			Init:        nn.InitNormal,
			WeightScale: 1e-3,
			Reg:         1e-3,
		},
		Data: DataSpec{
			Name: "fashion-mnist", Source: "embedded",
			Classes:    []string{"T-shirt/top", "Shirt"},
			Validation: 1000, SplitSeed: -1,
			Fingerprint: "sha256:0123456789abcdef",
		},
		Train: nn.TrainConfig{
			Optimizer: nn.OptimizerSpec{Name: "adam", LR: 1e-3},
			Epochs:    2, BatchSize: 50, LRDecay: 1, Seed: 0, AccSamples: 1000,
		},
	}
}

// sweepRecord makes the record of baseTrial with filter size fs and seed,
// with made-up but fixed results derived from both.
func sweepRecord(fs int64, seed uint64, valAcc float64) Record {
	t := baseTrial()
	t.Model.Layers[0].FilterH, t.Model.Layers[0].FilterW, t.Model.Layers[0].Pad = int(fs), int(fs), int(fs-1)/2
	t.Train.Seed = seed
	t.Settings = []Setting{{"filter_size", fs}, {"seed", int64(seed)}}
	res := nn.Result{
		Status:    "ok",
		Loss:      []float64{0.7, 0.65, 0.6, 0.5, 0.45, 0.41},
		TrainAccs: []float64{valAcc - 0.02, valAcc + 0.03},
		ValAccs:   []float64{valAcc - 0.05, valAcc},
		BestEpoch: 2,
		TrainAcc:  valAcc + 0.03,
		ValAcc:    valAcc,
		TestAcc:   valAcc - 0.01,
	}
	rec := NewRecord(t, res, 10+float64(fs)+float64(seed)/10, timeFixed)
	return rec
}

var timeFixed = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
