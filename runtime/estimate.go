package runtime

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
)

// timingBudget is how long pipe check times the steps of one model shape.
const timingBudget = 150 * time.Millisecond

// TimeFunc times the training steps of a model; nn.TimeSteps is the real one.
type TimeFunc func(spec nn.ModelSpec, opt nn.OptimizerSpec, in [3]int, classes, batch, threads int, budget time.Duration) (nn.StepTiming, error)

// Estimate is pipe check's guess of the training a run would do: summed
// over the groups checked so far, from timed steps.
type Estimate struct {
	Trials      int
	Wall        time.Duration // groups run one after another
	CoreSeconds float64
	Shapes      int // distinct model shapes timed
}

// estimate guesses how long training todo would take: for each trial, its
// steps (epochs × batches) times the seconds of one step of its model shape
// with the cores the scheduler would give it, plus its evaluations (the
// validation split and the training-accuracy sample each epoch, the test
// split at the end) at the timed forward speed; then the trials are laid
// on the --jobs workers in order, as the scheduler starts them, and the
// group takes as long as its busiest worker. Cached trials are not in todo:
// they cost nothing. Trials continuing from a saved state are counted
// whole.
// Trials without data splits (tests' fakes) are not counted: n says how
// many were.
func (s *Scheduler) estimate(todo []*slot) (n int, wall time.Duration, coreSec float64, err error) {
	timeFn := s.Time
	if timeFn == nil {
		timeFn = nn.TimeSteps
	}
	if s.timings == nil {
		s.timings = map[string]nn.StepTiming{}
	}
	workers := make([]float64, min(s.workers(), max(len(todo), 1)))
	threads := s.threadsFor(0, min(len(todo), s.workers()))
	for _, sl := range todo {
		j := sl.job
		if j.Data == nil || j.Data.Train == nil {
			continue
		}
		tr, cfg := j.Data.Train, j.Trial.Train
		in, classes := [3]int{tr.C, tr.H, tr.W}, len(tr.Classes)
		shape, _ := json.Marshal(struct {
			Model   nn.ModelSpec
			In      [3]int
			Classes int
			Batch   int
			Opt     string
			Threads int
		}{costShape(j.Trial.Model), in, classes, cfg.BatchSize, cfg.Optimizer.Name, threads})
		t, ok := s.timings[string(shape)]
		if !ok {
			if t, err = timeFn(j.Trial.Model, cfg.Optimizer, in, classes, cfg.BatchSize, threads, timingBudget); err != nil {
				return 0, 0, 0, fmt.Errorf("timing the steps of %s: %w", sl.info.Label, err)
			}
			s.timings[string(shape)] = t
		}
		images := tr.N
		if cfg.TrainImages > 0 {
			images = min(images, cfg.TrainImages)
		}
		acc := cfg.AccSamples
		if acc == 0 {
			acc = nn.DefaultAccSamples
		}
		epochs := max(cfg.Epochs, 1)
		steps := (images + cfg.BatchSize - 1) / max(cfg.BatchSize, 1) * epochs
		evals := epochs * (min(acc, images) + splitLen(j.Data.Val))
		evals += splitLen(j.Data.Test)
		secs := float64(steps)*t.Step + float64(evals)*t.EvalImage
		coreSec += secs * float64(threads)
		// The next trial starts on the worker that frees up first.
		w := slices.Index(workers, slices.Min(workers))
		workers[w] += secs
		n++
	}
	return n, time.Duration(slices.Max(workers) * float64(time.Second)), coreSec, nil
}

// roughly says "about" a duration in whole seconds, tens of seconds past
// a minute, minutes past an hour: an estimate claims no more.
func roughly(d time.Duration) string {
	switch {
	case d < time.Second:
		return "under a second"
	case d < time.Minute:
		d = d.Round(time.Second)
	case d < time.Hour:
		d = d.Round(10 * time.Second)
	default:
		d = d.Round(time.Minute)
	}
	return "about " + d.String()
}

// costShape is spec without what does not change the time of a step (the
// initialiser, the L2 strength, a dropout probability), so that a sweep
// over those times its model once.
func costShape(spec nn.ModelSpec) nn.ModelSpec {
	out := nn.ModelSpec{Layers: slices.Clone(spec.Layers)}
	for i := range out.Layers {
		if out.Layers[i].P > 0 {
			out.Layers[i].P = 0.5
		}
	}
	return out
}

// splitLen is the number of images of a split; a missing one has none.
func splitLen(s *data.Set) int {
	if s == nil {
		return 0
	}
	return s.N
}

// checkEstimate prints the estimate of one group's training in check mode
// and adds it to the run's.
func (s *Scheduler) checkEstimate(group string, todo []*slot) {
	if len(todo) == 0 {
		return
	}
	n, wall, core, err := s.estimate(todo)
	if err != nil {
		fmt.Fprintf(s.out(), "%s: no training time estimate: %v\n", group, err)
		return
	}
	if n == 0 {
		return
	}
	shapes := len(s.timings)
	s.mu.Lock()
	s.est.Trials += n
	s.est.Wall += wall
	s.est.CoreSeconds += core
	s.est.Shapes = shapes
	s.mu.Unlock()
	fmt.Fprintf(s.out(), "%s: estimated training time %s (%s on %s, %.0f core-s; from timed steps)\n",
		group, roughly(wall), plural(n, "trial"), plural(min(s.workers(), n), "worker"), core)
}

// Estimated returns the training time estimated for the groups checked so
// far (check mode).
func (s *Scheduler) Estimated() Estimate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.est
}
