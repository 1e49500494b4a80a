package runtime

import (
	"fmt"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// Artifacts is the part of a Store that keeps trained models beside the
// records: each trial's state at its last epoch (what a longer run of it
// continues from, and the epoch-end checkpoint while it trains) and its
// best-validation weights. *results.Cache has it; a Store without it keeps
// records only and every trial trains from epoch 1.
type Artifacts interface {
	GetState(key string) (*nn.State, bool, error)
	PutState(key string, st *nn.State) error
	PutWeights(w results.Weights) error
}

// ContinueFrom returns the state a trial continues from, and the key of the
// trial it belongs to: of the trials whose spec equals t's except for at
// most as many epochs, the one whose saved state has gone furthest. That is
// t's own checkpoint when an earlier run of t was interrupted, or the final
// state of a shorter run of the same spec (the 1-epoch sweep trial a
// 10-epoch run extends). Continuing it with nn.Run.From gives the record
// training t from scratch gives, bit for bit; so a search that trains a
// trial further only asks for the same spec with more epochs.
//
// A shorter run's spec leaves out what does not change its training
// (nn.TrainConfig.WithoutUnused): the one-epoch run of a spec with lr_decay
// d trained with lr_decay 1, so its state's next learning rate is lr, and
// continuing t multiplies it by d, as t's own first epoch would have.
//
// A state file that does not check out is reported through warn and
// skipped. It returns nil when there is nothing to continue from.
func ContinueFrom(a Artifacts, t results.Trial, warn func(key string, err error)) (*nn.State, string) {
	var best *nn.State
	var bestKey string
	for k := t.Train.Epochs; k >= 1; k-- {
		if best != nil && best.Epoch >= k {
			break // shorter runs cannot have gone further
		}
		p := t
		p.Train.Epochs = k
		p.Train = p.Train.WithoutUnused()
		key := p.Key()
		st, ok, err := a.GetState(key)
		if err != nil {
			warn(key, err)
			continue
		}
		if ok && st.Epoch <= k && (best == nil || st.Epoch > best.Epoch) {
			best, bestKey = st, key
			if p.Train.LRDecay != t.Train.LRDecay {
				st.LR *= t.Train.LRDecay
			}
		}
	}
	return best, bestKey
}

// keepArtifacts saves what a finished trial leaves besides its record: the
// kept weights, and the last state (replacing the trial's checkpoint).
// Failing to keep them costs a retrain later, never the record, so it is a
// warning.
func (s *Scheduler) keepArtifacts(a Artifacts, sl *slot, rec results.Record, model *nn.Model[float32], last *nn.State) {
	if model != nil {
		if err := a.PutWeights(results.NewWeights(rec, model)); err != nil {
			fmt.Fprintf(s.warn(), "warning: could not keep the weights of %s: %v\n", sl.info.Label, err)
		}
	}
	if last != nil {
		if err := a.PutState(sl.info.Key, last); err != nil {
			fmt.Fprintf(s.warn(), "warning: could not keep the state of %s: %v\n", sl.info.Label, err)
		}
	}
}
