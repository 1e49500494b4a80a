package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// State is a training run at the end of an epoch: everything Train needs to
// go on as if it had never stopped. Continuing a State to cfg.Epochs gives
// the Result that training all epochs at once gives, bit for bit, because
// nothing the remaining epochs read is left out: the parameters, the
// optimiser's buffers and step count, the positions of every random stream
// the solver draws from (shuffling, dropout masks, accuracy samples), the
// training order the next shuffle starts from, the learning rate after
// decay, and the history with the best epoch's figures and parameters.
//
// A State that Train hands out shares its buffers with the run it came
// from (see Run.Checkpoint); one read from a file owns its buffers, and
// continuing from it (Run.From) takes them over.
type State struct {
	Epoch  int     // epochs finished
	LR     float64 // learning rate of the next epoch
	Result Result  // history so far; BestEpoch, TrainAcc, ValAcc of the best epoch; TestAcc 0
	Order  []int   // training order after the last shuffle (each epoch reshuffles it)
	RNG    RNGState
	Params [][]float32 // current parameters, in Model.Params order
	Best   [][]float32 // parameters of the best epoch, same order
	Optim  OptimState
}

// RNGState holds the positions of the solver's random streams, each as
// math/rand/v2's PCG.MarshalBinary encodes it.
type RNGState struct {
	Shuffle []byte `json:"shuffle"`
	Sample  []byte `json:"sample"`
	Dropout []byte `json:"dropout"`
}

// OptimState is an optimiser's state: its step count (Adam's t) and its
// per-parameter buffers by name (adam "m" and "v", sgd_momentum "v",
// rmsprop "cache"), each in Model.Params order. sgd has none.
type OptimState struct {
	Step  int
	Slots map[string][][]float32
}

// values returns the value slices of params, shared, not copied.
func values(params []*Param[float32]) [][]float32 {
	out := make([][]float32, len(params))
	for i, p := range params {
		out[i] = p.Value.Data
	}
	return out
}

// paramValues copies the values of params.
func paramValues(params []*Param[float32]) [][]float32 {
	out := make([][]float32, len(params))
	for i, p := range params {
		out[i] = slices.Clone(p.Value.Data)
	}
	return out
}

// fits reports whether vals has one slice per parameter of the same length.
func fits(vals [][]float32, params []*Param[float32]) bool {
	if len(vals) != len(params) {
		return false
	}
	for i, p := range params {
		if len(vals[i]) != len(p.Value.Data) {
			return false
		}
	}
	return true
}

// restoreSlots sets the optimiser's buffers dst (by slot name) to the saved
// ones (adopted, not copied: see Run.From), after checking that st has
// exactly those slots and that they fit params; on error dst is unchanged.
func restoreSlots(st OptimState, params []*Param[float32], dst map[string]*[][]float32) error {
	if len(st.Slots) != len(dst) {
		return fmt.Errorf("optimiser state has %d buffers, want %d", len(st.Slots), len(dst))
	}
	for n := range dst {
		if s, ok := st.Slots[n]; !ok || !fits(s, params) {
			return fmt.Errorf("optimiser buffer %q is missing or does not fit the model", n)
		}
	}
	for n, d := range dst {
		*d = st.Slots[n]
	}
	return nil
}

// restorePCG sets a stream to a saved position.
func restorePCG(p *rand.PCG, b []byte, name string) error {
	if err := p.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("%s stream: %v", name, err)
	}
	return nil
}

// check reports whether st can continue a run of cfg on a model with params,
// training on nTrain images in itersPerEpoch batches.
func (st *State) check(cfg TrainConfig, params []*Param[float32], nTrain, itersPerEpoch int) error {
	r := st.Result
	switch {
	case st.Epoch < 1 || st.Epoch > cfg.Epochs:
		return fmt.Errorf("state is at epoch %d, the run has %d", st.Epoch, cfg.Epochs)
	case r.Status != StatusOK:
		return fmt.Errorf("state of a run with status %q", r.Status)
	case len(r.TrainAccs) != st.Epoch || len(r.ValAccs) != st.Epoch || len(r.Loss) != st.Epoch*itersPerEpoch:
		return fmt.Errorf("state's history (%d losses, %d accuracies) does not match epoch %d", len(r.Loss), len(r.TrainAccs), st.Epoch)
	case r.BestEpoch < 1 || r.BestEpoch > st.Epoch || r.StoppedAt != 0 && r.StoppedAt != st.Epoch:
		return fmt.Errorf("state's best epoch %d (stopped at %d) is not within its %d epochs", r.BestEpoch, r.StoppedAt, st.Epoch)
	case !fits(st.Params, params) || !fits(st.Best, params):
		return fmt.Errorf("state's parameters do not fit the model")
	case !(st.LR > 0):
		return fmt.Errorf("state's learning rate %g is not positive", st.LR)
	}
	if len(st.Order) != nTrain {
		return fmt.Errorf("state's training order has %d images, the run %d", len(st.Order), nTrain)
	}
	seen := make([]bool, nTrain)
	for _, i := range st.Order {
		if i < 0 || i >= nTrain || seen[i] {
			return fmt.Errorf("state's training order is not a permutation")
		}
		seen[i] = true
	}
	return nil
}

// cloneResult deep-copies a Result's history.
func cloneResult(r Result) Result {
	r.Loss = slices.Clone(r.Loss)
	r.TrainAccs = slices.Clone(r.TrainAccs)
	r.ValAccs = slices.Clone(r.ValAccs)
	return r
}
