package runtime

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// TestCheckEstimate: pipe check's estimate is steps × the timed step plus
// evaluated images × the timed forward pass, trials laid on the workers as
// they start, each model shape timed once, cached trials free.
func TestCheckEstimate(t *testing.T) {
	splits := &data.Splits{
		Train: &data.Set{N: 1000, C: 1, H: 8, W: 8, Classes: []string{"a", "b"}},
		Val:   &data.Set{N: 100, C: 1, H: 8, W: 8, Classes: []string{"a", "b"}},
		Test:  &data.Set{N: 400, C: 1, H: 8, W: 8, Classes: []string{"a", "b"}},
	}
	timed := 0
	fake := func(spec nn.ModelSpec, opt nn.OptimizerSpec, in [3]int, classes, batch, threads int, _ time.Duration) (nn.StepTiming, error) {
		timed++
		if in != [3]int{1, 8, 8} || classes != 2 || batch != 50 || threads != 1 {
			t.Errorf("timed %v, %d classes, batch %d, %d threads", in, classes, batch, threads)
		}
		return nn.StepTiming{Step: 0.1, EvalImage: 0.001}, nil
	}
	mk := func(seed uint64, epochs int) builtins.Job {
		j := job(seed)
		j.Trial.Train.BatchSize, j.Trial.Train.Epochs, j.Trial.Train.AccSamples = 50, epochs, 200
		j.Data = splits
		return j
	}
	store := newMemStore()
	var out bytes.Buffer
	s := &Scheduler{Store: store, Jobs: 2, CheckOnly: true, Time: fake, Out: &out}
	cached := mk(9, 1)
	store.Put(results.Record{Key: cached.Trial.Key(), Trial: cached.Trial, Result: nn.Result{Status: nn.StatusOK}})
	// Per trial: 20 steps an epoch (2 s) and 100 validation + 200 sampled
	// images an epoch (0.3 s), 400 test images at the end (0.4 s).
	// 1 epoch: 2.7 s; 2 epochs: 5.0 s. On 2 workers: 5.0 | 2.7 + 2.7.
	// The L2 strength does not change a step's time: one shape to time.
	regularised := mk(3, 1)
	regularised.Trial.Model.Reg = 0.5
	if _, err := s.Run(context.Background(), "g", []builtins.Job{mk(1, 2), mk(2, 1), regularised, cached}); err != nil {
		t.Fatal(err)
	}
	e := s.Estimated()
	if e.Trials != 3 || e.Shapes != 1 || timed != 1 {
		t.Errorf("estimate %+v after %d timings; want 3 trials, 1 shape timed once", e, timed)
	}
	if e.Wall != 5400*time.Millisecond || e.CoreSeconds < 10.39 || e.CoreSeconds > 10.41 {
		t.Errorf("wall %v, %.2f core-s; want 5.4s, 10.40", e.Wall, e.CoreSeconds)
	}
	if !strings.Contains(out.String(), "g: estimated training time about 5s (3 trials on 2 workers, 10 core-s; from timed steps)") {
		t.Errorf("output:\n%s", out.String())
	}
}
