package nn

import (
	"fmt"
	"time"
)

// StepTiming is how long a model takes to train and to evaluate, as
// TimeSteps measured it.
type StepTiming struct {
	Step      float64 // seconds per training step of a batch (forward, backward, update)
	EvalImage float64 // seconds per image of a forward pass (how accuracies are measured)
	Steps     int     // training steps timed
}

// TimeSteps measures spec training on random images of shape in: one
// warm-up step (its buffers are allocated then, so it says little), then
// steps until budget has passed (at least two), then a forward pass of the
// batch after one to warm up. The weights are thrown away. It is how pipe
// check estimates the training time of a pipeline without training it.
func TimeSteps(spec ModelSpec, opt OptimizerSpec, in [3]int, classes, batch, threads int, budget time.Duration) (StepTiming, error) {
	if batch < 1 {
		return StepTiming{}, fmt.Errorf("batch size %d", batch)
	}
	o, err := NewOptimizer(opt)
	if err != nil {
		return StepTiming{}, err
	}
	m, err := Build[float32](spec, in, classes, 1)
	if err != nil {
		return StepTiming{}, err
	}
	m.SetThreads(threads)
	x, y := RandomBatch[float32](in, classes, batch, 1)
	step := func() { trainStep(m, x, y, o, opt.LR) }
	step()
	start, n := time.Now(), 0
	for n < 2 || time.Since(start) < budget {
		step()
		n++
	}
	t := StepTiming{Step: time.Since(start).Seconds() / float64(n), Steps: n}
	m.Scores(x)
	start = time.Now()
	m.Scores(x)
	t.EvalImage = time.Since(start).Seconds() / float64(batch)
	return t, nil
}
