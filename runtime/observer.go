package runtime

import (
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// GroupInfo describes one Runner.Run call (one sweep or train): how many
// trials it holds and how many of them the cache already answers.
type GroupInfo struct {
	Name    string
	Trials  int // jobs in the group, duplicates included
	Cached  int // unique trials found in the cache
	ToTrain int // unique trials that will be (or, in check mode, would be) trained

	// In a shard run (--shard i/n), Shard is this run's shard and
	// OtherShards counts the unique uncached trials that belong to other
	// shards: neither cached nor in ToTrain. Without sharding both are zero.
	Shard       Shard
	OtherShards int
}

// TrialInfo identifies one trial to an Observer. ID is unique within a run,
// so observers can key their state on it even when two trials share a label.
type TrialInfo struct {
	ID    int
	Group string
	Label string
	Key   string
	Iters int // estimated total iterations; Progress.Iters is authoritative
	From  int // epochs continued from a saved state (ContinueFrom); 0: from scratch
}

// Observer is told what the scheduler does, so that a front end can show it.
// Methods are called from worker goroutines concurrently and must be safe
// for that; they should return quickly (TrialProgress is called after every
// training iteration).
type Observer interface {
	// GroupStarted is called once per group, after the cache lookup and
	// before any training starts.
	GroupStarted(g GroupInfo)
	// TrialStarted is called when a worker begins training a trial.
	TrialStarted(t TrialInfo)
	// TrialProgress is called after every training iteration.
	TrialProgress(t TrialInfo, p nn.Progress)
	// TrialWaiting is called when a trial this run would train is being
	// trained by another process sharing the store (holder is its
	// "host:pid"), and again if the holder changes. The run waits for it.
	TrialWaiting(t TrialInfo, holder string)
	// TrialFinished is called once per unique trial of a group: cached ones
	// right after GroupStarted, trained ones when their record is saved,
	// and those another process trained while this run waited (cached is
	// true for them too: this run did not train them) when their record
	// appears. It is not called for a trial that failed or was interrupted.
	TrialFinished(t TrialInfo, rec results.Record, cached bool)
	// GroupFinished is called when every trial of the group has a record, or
	// with err set when the group stopped early (error or interrupt).
	GroupFinished(g GroupInfo, err error)
}

// NopObserver ignores every event; it is what quiet mode uses.
type NopObserver struct{}

func (NopObserver) GroupStarted(GroupInfo)                        {}
func (NopObserver) TrialStarted(TrialInfo)                        {}
func (NopObserver) TrialProgress(TrialInfo, nn.Progress)          {}
func (NopObserver) TrialWaiting(TrialInfo, string)                {}
func (NopObserver) TrialFinished(TrialInfo, results.Record, bool) {}
func (NopObserver) GroupFinished(GroupInfo, error)                {}
