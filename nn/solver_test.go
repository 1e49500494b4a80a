package nn

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn/data"
)

// stripes is a synthetic two-class set of n 1x8x8 images: class 0 has a
// bright top half, class 1 a bright bottom half, both under heavy noise, so
// that a small net learns it in a few epochs but not perfectly at once.
func stripes(n int, seed uint64) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 99))
	s := &data.Set{N: n, C: 1, H: 8, W: 8, Classes: []string{"top", "bottom"},
		Images: make([]uint8, n*64), Labels: make([]uint8, n)}
	for i := 0; i < n; i++ {
		label := rng.IntN(2)
		s.Labels[i] = uint8(label)
		for p := 0; p < 64; p++ {
			v := 60 + rng.NormFloat64()*50
			if (p < 32) == (label == 0) {
				v += 35
			}
			s.Images[i*64+p] = uint8(min(max(v, 0), 255))
		}
	}
	return s
}

func stripeSplits(t testing.TB) Dataset {
	t.Helper()
	sp, err := data.NewSplits(stripes(240, 1), stripes(100, 2), 40, -1)
	if err != nil {
		t.Fatal(err)
	}
	return views(sp)
}

// views is the Dataset of sp's three splits.
func views(sp *data.Splits) Dataset {
	return Dataset{Train: sp.View(sp.Train), Val: sp.View(sp.Val), Test: sp.View(sp.Test)}
}

func smallNet() ModelSpec {
	return ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 4, FilterSize: 3, HiddenDim: 16, WeightScale: 1e-2, Reg: 1e-3})
}

func adamConfig() TrainConfig {
	return TrainConfig{Optimizer: OptimizerSpec{Name: "adam", LR: 1e-2}, Epochs: 4, BatchSize: 32, LRDecay: 0.9, Seed: 3}
}

func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	sp := stripeSplits(t)
	var progress []Progress
	res, m, _, err := Train(context.Background(), smallNet(), sp, adamConfig(), Run{Progress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result %+v", res)
	iters := 4 * 7 // ceil(200/32) batches per epoch
	if res.Status != StatusOK || len(res.Loss) != iters || len(res.TrainAccs) != 4 || len(res.ValAccs) != 4 {
		t.Fatalf("status %q, %d losses, %d/%d accuracies; want ok, %d, 4/4", res.Status, len(res.Loss), len(res.TrainAccs), len(res.ValAccs), iters)
	}
	if len(progress) != iters || progress[iters-1] != (Progress{Epoch: 4, Epochs: 4, Iter: iters, Iters: iters, Loss: res.Loss[iters-1]}) {
		t.Errorf("progress: %d calls, last %+v", len(progress), progress[len(progress)-1])
	}
	if res.TrainAcc < 0.75 || res.ValAcc < 0.75 || res.TestAcc < 0.75 {
		t.Errorf("accuracies train %.3f val %.3f test %.3f: the net did not learn a learnable task", res.TrainAcc, res.ValAcc, res.TestAcc)
	}
	if res.Loss[len(res.Loss)-1] > 0.9*res.Loss[0] {
		t.Errorf("loss went from %.3f to %.3f", res.Loss[0], res.Loss[len(res.Loss)-1])
	}
	// The best epoch is the first with the highest validation accuracy, and
	// the returned model holds its parameters.
	best := 0
	for i, v := range res.ValAccs {
		if v > res.ValAccs[best] {
			best = i
		}
	}
	if res.BestEpoch != best+1 || res.ValAcc != res.ValAccs[best] || res.TrainAcc != res.TrainAccs[best] {
		t.Errorf("best epoch %d (val %v, train %v), want %d of %v / %v", res.BestEpoch, res.ValAcc, res.TrainAcc, best+1, res.ValAccs, res.TrainAccs)
	}
	s := newSession(m, 50)
	if got := s.accuracy(sp.Val, nil); got != res.ValAcc {
		t.Errorf("returned model has val accuracy %v, best epoch had %v", got, res.ValAcc)
	}
	if got := s.accuracy(sp.Test, nil); got != res.TestAcc {
		t.Errorf("returned model has test accuracy %v, result says %v", got, res.TestAcc)
	}

	res2, m2, _, err := Train(context.Background(), smallNet(), sp, adamConfig(), Run{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, res2) {
		t.Errorf("second run differs:\n%+v\n%+v", res, res2)
	}
	for i, p := range m.Params() {
		if !reflect.DeepEqual(p.Value.Data, m2.Params()[i].Value.Data) {
			t.Errorf("%s differs between runs", p.Name)
		}
	}
	cfg := adamConfig()
	cfg.Seed = 4
	res3, _, _, _ := Train(context.Background(), smallNet(), sp, cfg, Run{})
	if reflect.DeepEqual(res.Loss, res3.Loss) {
		t.Errorf("another seed gave the same losses")
	}
}

func TestTrainDropoutDeterministic(t *testing.T) {
	sp := stripeSplits(t)
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 4, FilterSize: 3, HiddenDim: 16, WeightScale: 1e-2, Dropout: 0.5})
	cfg := adamConfig()
	cfg.Epochs = 2
	a, _, _, err := Train(context.Background(), spec, sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, _ := Train(context.Background(), spec, sp, cfg, Run{})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("dropout runs differ:\n%+v\n%+v", a, b)
	}
}

func TestTrainDiverges(t *testing.T) {
	sp := stripeSplits(t)
	cfg := TrainConfig{Optimizer: OptimizerSpec{Name: "sgd", LR: 1e12}, Epochs: 3, BatchSize: 20, Seed: 1}
	res, m, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatalf("divergence must be a result, got error %v", err)
	}
	if res.Status != StatusDiverged || res.DivergedAt < 1 || len(res.Loss) != res.DivergedAt-1 || m != nil {
		t.Fatalf("status %q at %d with %d losses", res.Status, res.DivergedAt, len(res.Loss))
	}
	t.Logf("diverged at iteration %d, losses %v", res.DivergedAt, res.Loss)
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("diverged result does not encode: %v", err)
	}

	// Diverging in a later epoch keeps the best epoch before it: a learning
	// rate that works for one epoch, then a decay factor that blows it up.
	cfg = TrainConfig{Optimizer: OptimizerSpec{Name: "sgd", LR: 0.05}, Epochs: 3, BatchSize: 20, LRDecay: 1e12, Seed: 1}
	res, m, _, err = Train(context.Background(), smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusDiverged || res.BestEpoch != 1 || len(res.ValAccs) != 1 || m == nil || res.DivergedAt <= 10 {
		t.Fatalf("late divergence: status %q at %d, best epoch %d, %d val accuracies, model %v", res.Status, res.DivergedAt, res.BestEpoch, len(res.ValAccs), m != nil)
	}
	for _, p := range m.Params() {
		for _, v := range p.Value.Data {
			if !isFinite(float64(v)) {
				t.Fatalf("%s holds %v after restoring the best epoch", p.Name, v)
			}
		}
	}
	if s := newSession(m, 20); s.accuracy(sp.Test, nil) != res.TestAcc {
		t.Errorf("test accuracy %v is not that of the returned model", res.TestAcc)
	}
}

func TestTrainCancel(t *testing.T) {
	sp := stripeSplits(t)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, _, _, err := Train(ctx, smallNet(), sp, adamConfig(), Run{Progress: func(p Progress) {
		calls++
		if p.Iter == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || calls != 3 {
		t.Errorf("error %v after %d iterations, want context.Canceled after 3", err, calls)
	}
}

func TestTrainSettings(t *testing.T) {
	sp := stripeSplits(t)
	cfg := adamConfig()
	cfg.TrainImages, cfg.AccSamples, cfg.Epochs, cfg.BatchSize = 30, 7, 2, 10
	res, _, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Loss) != 6 {
		t.Errorf("%d iterations for 30 images in batches of 10 over 2 epochs, want 6", len(res.Loss))
	}
	for _, a := range res.TrainAccs {
		if k := a * 7; math.Abs(k-math.Round(k)) > 1e-9 {
			t.Errorf("train accuracy %v is not a fraction of 7 samples", a)
		}
	}
	for _, c := range []struct {
		edit func(*TrainConfig)
		want string
	}{
		{func(c *TrainConfig) { c.Epochs = 0 }, "epochs 0"},
		{func(c *TrainConfig) { c.BatchSize = -1 }, "batch_size -1"},
		{func(c *TrainConfig) { c.TrainImages = 1000 }, "train_images 1000"},
		{func(c *TrainConfig) { c.LRDecay = -1 }, "lr_decay -1"},
		{func(c *TrainConfig) { c.Optimizer.Name = "nesterov" }, `unknown optimizer "nesterov"`},
	} {
		cfg := adamConfig()
		c.edit(&cfg)
		if _, _, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	bad := smallNet()
	bad.Layers[0].FilterH = 20
	if _, _, _, err := Train(context.Background(), bad, sp, adamConfig(), Run{}); err == nil || !strings.Contains(err.Error(), "layer 0 (conv)") {
		t.Errorf("bad spec: %v", err)
	}
}

// TestTrainStepAllocs checks that a warmed-up training step allocates
// nothing.
func TestTrainStepAllocs(t *testing.T) {
	sp := stripeSplits(t)
	m, err := Build[float32](smallNet(), [3]int{1, 8, 8}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := NewOptimizer(OptimizerSpec{Name: "adam", LR: 1e-3})
	s := newSession(m, 32)
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = i
	}
	s.step(sp.Train, idx, opt, 1e-3)
	s.step(sp.Train, idx[:20], opt, 1e-3)
	if a := testing.AllocsPerRun(5, func() { s.step(sp.Train, idx, opt, 1e-3); s.step(sp.Train, idx[:20], opt, 1e-3) }); a != 0 {
		t.Errorf("%v allocations per training step", a)
	}
	if a := testing.AllocsPerRun(5, func() { s.accuracy(sp.Val, nil) }); a != 0 {
		t.Errorf("%v allocations per accuracy pass", a)
	}
}

// TestStepsIndependentOfGOMAXPROCS trains the base model for a few steps
// with 1 and with 2 threads available, and with the model's kernels on 1, 2
// and 3 goroutines (SetThreads), along the solver's path: the losses and
// weights must be bit-identical, whatever the kernels parallelise.
func TestStepsIndependentOfGOMAXPROCS(t *testing.T) {
	run := func(procs, threads int) ([]float64, []float32) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m, err := Build[float32](baseModel(), [3]int{1, 28, 28}, 10, 7)
		if err != nil {
			t.Fatal(err)
		}
		m.SetThreads(threads)
		opt, _ := NewOptimizer(OptimizerSpec{Name: "adam", LR: 1e-3})
		var losses []float64
		for i := uint64(0); i < 3; i++ {
			x, y := RandomBatch[float32]([3]int{1, 28, 28}, 10, 50, i)
			losses = append(losses, trainStep(m, x, y, opt, 1e-3))
		}
		var w []float32
		for _, p := range m.Params() {
			w = append(w, p.Value.Data...)
		}
		return losses, w
	}
	l1, w1 := run(1, 1)
	for _, c := range [][2]int{{2, 1}, {2, 2}, {2, 3}} {
		l2, w2 := run(c[0], c[1])
		if !reflect.DeepEqual(l1, l2) {
			t.Errorf("losses differ: 1 thread %v, GOMAXPROCS %d with %d threads %v", l1, c[0], c[1], l2)
		}
		if !reflect.DeepEqual(w1, w2) {
			t.Errorf("weights differ between 1 thread and GOMAXPROCS %d with %d threads", c[0], c[1])
		}
	}
}

// TestTrainWithChangingCores: a run whose core count changes between steps
// (the scheduler hands it the cores of finished trials) trains the same
// bits as a one-thread run, reads the count every step, and Cores adds up
// the core-seconds of the counts it had.
func TestTrainWithChangingCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	sp := stripeSplits(t)
	want, wm, _, err := Train(context.Background(), smallNet(), sp, adamConfig(), Run{})
	if err != nil {
		t.Fatal(err)
	}
	cores := NewCores(1)
	iters := 0
	progress := func(p Progress) { iters = p.Iters; cores.Set(2 + p.Iter%2) }
	res, got, _, err := Train(WithCores(context.Background(), cores), smallNet(), sp, adamConfig(), Run{Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("changing cores changed the result:\n%+v\n%+v", res, want)
	}
	for i, p := range got.Params() {
		if !reflect.DeepEqual(p.Value.Data, wm.Params()[i].Value.Data) {
			t.Errorf("%s differs from the one-thread run", p.Name)
		}
	}
	// The last step ran with the count set after the one before it.
	if n, want := got.threads(), 2+(iters-1)%2; n != want {
		t.Errorf("the last step ran on %d threads, want %d: the count is not read every step", n, want)
	}
	spent, most, changed := cores.Spent()
	if most != 3 || !changed || !(spent > 0) {
		t.Errorf("Spent() = %v, %d, %v; want > 0, 3, true", spent, most, changed)
	}
	if _, most, changed := NewCores(2).Spent(); most != 2 || changed {
		t.Errorf("a count never set: most %d, changed %v", most, changed)
	}
}
