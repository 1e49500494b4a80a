package nn

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn/data"
)

// TestContinueIsBitIdentical trains E2 epochs at once, and E1 epochs then
// continues the returned State to E2: Results, kept parameters and final
// States must be identical, for every optimiser with state, with dropout
// and lr decay. A checkpoint taken during the long run at epoch E1 equals
// the short run's final State and continues to the same Result as well.
func TestContinueIsBitIdentical(t *testing.T) {
	sp := stripeSplits(t)
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 4, FilterSize: 3, HiddenDim: 16, WeightScale: 1e-2, Reg: 1e-3, Dropout: 0.3})
	const e1, e2 = 2, 5
	for _, opt := range []OptimizerSpec{
		{Name: "adam", LR: 1e-2},
		{Name: "sgd_momentum", LR: 5e-2},
		{Name: "rmsprop", LR: 1e-3},
		{Name: "sgd", LR: 5e-2},
	} {
		t.Run(opt.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := TrainConfig{Optimizer: opt, Epochs: e2, BatchSize: 32, LRDecay: 0.8, Seed: 5, AccSamples: 50}
			var checkpoints []*State
			want, wantM, wantSt, err := Train(ctx, spec, sp, cfg, Run{Checkpoint: func(s *State) error {
				checkpoints = append(checkpoints, cloneState(s)) // s is valid during the call only
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(checkpoints) != e2-1 || wantSt == nil || wantSt.Epoch != e2 {
				t.Fatalf("%d checkpoints and final state %v, want %d and epoch %d", len(checkpoints), wantSt != nil, e2-1, e2)
			}
			short := cfg
			short.Epochs = e1
			_, _, st, err := Train(ctx, spec, sp, short, Run{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(st, checkpoints[e1-1]) {
				t.Errorf("the %d-epoch run's state differs from the %d-epoch run's checkpoint at epoch %d", e1, e2, e1)
			}
			var progress []Progress
			from := cloneState(st)
			got, gotM, gotSt, err := Train(ctx, spec, sp, cfg, Run{From: from, Progress: func(p Progress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("continued result differs:\n got %+v\nwant %+v", got, want)
			}
			if !reflect.DeepEqual(gotSt, wantSt) {
				t.Errorf("continued final state differs")
			}
			for i, p := range gotM.Params() {
				if !reflect.DeepEqual(p.Value.Data, wantM.Params()[i].Value.Data) {
					t.Errorf("kept %s differs", p.Name)
				}
			}
			iters := len(want.Loss)
			perEpoch := iters / e2
			if len(progress) != iters-e1*perEpoch || progress[0].Iter != e1*perEpoch+1 || progress[0].Epoch != e1+1 || progress[0].Start != e1*perEpoch {
				t.Errorf("continued run reported %d iterations from %+v; want %d from iteration %d of epoch %d", len(progress), progress[0], iters-e1*perEpoch, e1*perEpoch+1, e1+1)
			}
			// The continued run took the state's buffers over.
			if from.Params != nil || from.Best != nil || from.Optim.Slots != nil {
				t.Errorf("continuing left the buffers in the state it took over")
			}
			got, _, _, err = Train(ctx, spec, sp, cfg, Run{From: checkpoints[2]})
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("continued from the epoch-3 checkpoint: %v, result equal %v", err, reflect.DeepEqual(got, want))
			}
		})
	}
}

// cloneSlots deep-copies per-parameter buffers.
func cloneSlots(s [][]float32) [][]float32 {
	out := make([][]float32, len(s))
	for i, v := range s {
		out[i] = slices.Clone(v)
	}
	return out
}

// cloneState deep-copies s.
func cloneState(s *State) *State {
	c := *s
	c.Result, c.Order, c.Params, c.Best = cloneResult(s.Result), slices.Clone(s.Order), cloneSlots(s.Params), cloneSlots(s.Best)
	if s.Optim.Slots != nil {
		c.Optim.Slots = map[string][][]float32{}
		for k, v := range s.Optim.Slots {
			c.Optim.Slots[k] = cloneSlots(v)
		}
	}
	return &c
}

// TestContinueRejectsMisfits: a State from another model, data subset or
// optimiser, or a damaged one, is an error, never a silent wrong run.
func TestContinueRejectsMisfits(t *testing.T) {
	sp := stripeSplits(t)
	ctx := context.Background()
	cfg := adamConfig()
	cfg.Epochs = 1
	_, _, st, err := Train(ctx, smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Epochs = 2
	other := smallNet()
	other.Layers[0].Filters = 5
	fewer := cfg
	fewer.TrainImages = 100
	sgd := cfg
	sgd.Optimizer = OptimizerSpec{Name: "sgd_momentum", LR: 1e-2}
	short := cfg
	short.Epochs = 0
	for _, c := range []struct {
		name string
		spec ModelSpec
		cfg  TrainConfig
		edit func(*State)
		want string
	}{
		{"other model", other, cfg, nil, "parameters do not fit"},
		{"fewer images", smallNet(), fewer, nil, "history (7 losses, 1 accuracies) does not match"},
		{"other optimiser", smallNet(), sgd, nil, "optimiser state has 2 buffers, want 1"},
		{"bad rng", smallNet(), cfg, func(s *State) { s.RNG.Dropout = []byte("pcg:xx") }, "dropout stream"},
		{"bad order", smallNet(), cfg, func(s *State) { s.Order[0] = s.Order[1] }, "not a permutation"},
		{"bad history", smallNet(), cfg, func(s *State) { s.Result.Loss = s.Result.Loss[1:] }, "history"},
		{"past the end", smallNet(), cfg, func(s *State) { s.Epoch = 3 }, "epoch 3, the run has 2"},
	} {
		s := *st
		s.Order = append([]int(nil), st.Order...)
		if c.edit != nil {
			c.edit(&s)
		}
		_, _, _, err := Train(ctx, c.spec, sp, c.cfg, Run{From: &s})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if s.Params == nil || s.Best == nil || s.Optim.Slots == nil {
			t.Errorf("%s: a state that does not fit lost its buffers", c.name)
		}
	}
}

// TestPatience stops a run whose validation accuracy stalls, records the
// epoch, and continuing its State longer changes nothing.
func TestPatience(t *testing.T) {
	sp := stripeSplits(t)
	ctx := context.Background()
	cfg := TrainConfig{Optimizer: OptimizerSpec{Name: "sgd", LR: 1e-4}, Epochs: 8, BatchSize: 32, Seed: 1, Patience: 2}
	res, _, st, err := Train(ctx, smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("val %v best %d stopped %d", res.ValAccs, res.BestEpoch, res.StoppedAt)
	if res.StoppedAt == 0 || res.StoppedAt != res.BestEpoch+2 || len(res.ValAccs) != res.StoppedAt || st.Epoch != res.StoppedAt {
		t.Fatalf("stopped at %d with best epoch %d and %d epochs run; want 2 epochs after the best", res.StoppedAt, res.BestEpoch, len(res.ValAccs))
	}
	for _, v := range res.ValAccs[res.BestEpoch:] {
		if v > res.ValAcc {
			t.Errorf("epoch after the best has a better accuracy %v > %v", v, res.ValAcc)
		}
	}
	cfg.Epochs = 12
	more, _, _, err := Train(ctx, smallNet(), sp, cfg, Run{From: st})
	if err != nil || !reflect.DeepEqual(more, res) {
		t.Errorf("continuing a stopped run: %v, %+v, want %+v", err, more, res)
	}
	cfg.Patience = -1
	if _, _, _, err := Train(ctx, smallNet(), sp, cfg, Run{}); err == nil || !strings.Contains(err.Error(), "patience -1") {
		t.Errorf("negative patience: %v", err)
	}
}

// TestEvaluateMatchesTestAcc: evaluating the kept model on the test split
// gives the trial's test accuracy exactly, a confusion matrix that sums to
// the images, and probabilities in (0, 1]; a copy of the parameters into a
// fresh model (SetParams) evaluates the same.
func TestEvaluateMatchesTestAcc(t *testing.T) {
	sp := stripeSplits(t)
	cfg := adamConfig()
	res, m, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Build[float32](smallNet(), m.Input(), m.Classes(), 99)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.SetParams(paramValues(m.Params())); err != nil {
		t.Fatal(err)
	}
	for _, model := range []*Model[float32]{m, fresh} {
		ev, err := Evaluate(model, sp.Test, cfg.BatchSize)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Accuracy != res.TestAcc {
			t.Errorf("evaluate accuracy %v, trial test_acc %v", ev.Accuracy, res.TestAcc)
		}
		total, diag := 0, 0
		for i, row := range ev.Confusion {
			for j, n := range row {
				total += n
				if i == j {
					diag += n
				}
			}
		}
		if total != sp.Test.Len() || diag != ev.Correct || !(ev.Loss > 0) {
			t.Errorf("confusion %v sums to %d (diagonal %d), want %d (%d); loss %v", ev.Confusion, total, diag, sp.Test.Len(), ev.Correct, ev.Loss)
		}
		for _, p := range ev.Prob {
			if !(p >= 0.5 && p <= 1) {
				t.Fatalf("probability %v of a 2-class prediction", p)
			}
		}
	}
	if err := fresh.SetParams(paramValues(m.Params())[1:]); err == nil {
		t.Errorf("SetParams accepted too few tensors")
	}
	if _, err := Evaluate(m, sp.Test, 0); err == nil {
		t.Errorf("batch 0 accepted")
	}
	three := stripes(3, 1)
	three.Classes = append(three.Classes, "middle")
	if _, err := Evaluate(m, (&data.Splits{}).View(three), 10); err == nil || !strings.Contains(err.Error(), "the model takes 1x8x8 images of 2 classes, the data has 1x8x8 images of 3") {
		t.Errorf("data of 3 classes: %v", err)
	}
}

// TestWarmStart: Run.Init starts from the given weights (a trained model's
// give a first loss below a random start's), and a tensor set that does
// not fit is an error naming the problem.
func TestWarmStart(t *testing.T) {
	sp := stripeSplits(t)
	cfg := adamConfig()
	cfg.Epochs = 1
	_, m, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	init := map[string][]float32{}
	for _, p := range m.Params() {
		init[p.Name] = p.Value.Data
	}
	cold, _, _, _ := Train(context.Background(), smallNet(), sp, cfg, Run{})
	warm, _, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{Init: init})
	if err != nil || warm.Loss[0] >= cold.Loss[0] {
		t.Errorf("warm start: %v; first loss %v, cold %v", err, warm.Loss[0], cold.Loss[0])
	}
	delete(init, "W2")
	if _, _, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{Init: init}); err == nil || !strings.Contains(err.Error(), "init_from: 5 tensors, the model has 6") {
		t.Errorf("missing tensor: %v", err)
	}
	init["W2"] = []float32{1}
	if _, _, _, err := Train(context.Background(), smallNet(), sp, cfg, Run{Init: init}); err == nil || !strings.Contains(err.Error(), "parameter W2 has 1 values") {
		t.Errorf("mis-sized tensor: %v", err)
	}
}
