package nn

import (
	"context"
	"testing"

	"github.com/pipe-ml/pipe/nn/data"
)

// fashionSplits is the embedded T-shirt/top (0) + Shirt (6) selection with the
// last 1,000 training images as validation, as torch_ref.py accuracy uses.
func fashionSplits(t *testing.T) Dataset {
	t.Helper()
	train, test, err := data.Load("fashion-mnist", "")
	if err != nil {
		t.Fatal(err)
	}
	if train, err = train.Select([]int{0, 6}); err != nil {
		t.Fatal(err)
	}
	if test, err = test.Select([]int{0, 6}); err != nil {
		t.Fatal(err)
	}
	sp, err := data.NewSplits(train, test, 1000, -1)
	if err != nil {
		t.Fatal(err)
	}
	return views(sp)
}

// TestOverfitSmallData is the course's overfit check on the embedded data:
// 100 training images, 15 epochs, batch 50, Adam 1e-3, weight scale 1e-2
// (torch_ref.py accuracy --train-images 100 --epochs 15 --weight-scale 1e-2:
// train 0.96, validation 0.81).
func TestOverfitSmallData(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 15 epochs of the base model; skipped with -short")
	}
	sp := fashionSplits(t)
	spec := ThreeLayerConvNet(ThreeLayerConfig{HiddenDim: 500, WeightScale: 1e-2, Reg: 1e-3})
	cfg := TrainConfig{Optimizer: OptimizerSpec{Name: "adam", LR: 1e-3}, Epochs: 15, BatchSize: 50, TrainImages: 100}
	res, _, _, err := Train(context.Background(), spec, sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	last := len(res.TrainAccs) - 1
	train, val := res.TrainAccs[last], res.ValAccs[last]
	t.Logf("overfit: final epoch train %.3f val %.3f (best epoch %d: val %.3f, test %.3f)", train, val, res.BestEpoch, res.ValAcc, res.TestAcc)
	if train < 0.95 {
		t.Errorf("training accuracy %.3f after 15 epochs on 100 images, want ≥ 0.95", train)
	}
	if val > train-0.10 {
		t.Errorf("validation accuracy %.3f not 10 points below training %.3f", val, train)
	}
}

// TestBaseModelAccuracy trains the base model for one epoch on the embedded
// data with seeds 0, 1 and 2 and compares the mean validation accuracy with
// PyTorch's over the same seeds (torch_ref.py accuracy --classes 0,6 --seeds
// 0,1,2: 0.834, range 0.826–0.839): it must be within 2 points. One seed
// alone varies by about that much, so the test compares means.
func TestBaseModelAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains one epoch of the base model on 11,000 images three times; skipped with -short")
	}
	sp := fashionSplits(t)
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 32, FilterSize: 7, HiddenDim: 500, Reg: 1e-3})
	var sum float64
	for seed := uint64(0); seed < 3; seed++ {
		cfg := TrainConfig{Optimizer: OptimizerSpec{Name: "adam", LR: 1e-3}, Epochs: 1, BatchSize: 50, Seed: seed}
		res, _, _, err := Train(context.Background(), spec, sp, cfg, Run{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("base model, 1 epoch, seed %d: train %.4f val %.4f test %.4f", seed, res.TrainAcc, res.ValAcc, res.TestAcc)
		sum += res.ValAcc
	}
	mean := sum / 3
	t.Logf("mean validation accuracy %.4f (PyTorch 0.834)", mean)
	if mean < 0.814 || mean > 0.854 {
		t.Errorf("mean validation accuracy %.4f, want PyTorch's 0.834 ± 0.02", mean)
	}
}
