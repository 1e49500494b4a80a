package runtime

import (
	"os"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// liveInterval is how often at most a trial's progress file is rewritten:
// often enough for a browser to look live, rarely enough to cost nothing
// next to training.
const liveInterval = 250 * time.Millisecond

// liveObserver keeps a progress file (results.WriteLive) under the output
// root for every trial being trained, for pipe serve, and passes every
// event on to the observer it wraps. A file is removed when its trial's
// record is saved, and when its group ends without one (an error, Ctrl-C).
// Progress files are a display aid: failing to write one does not stop the
// run.
type liveObserver struct {
	Observer
	root, pipeline string

	mu     sync.Mutex
	trials map[int]*liveTrial // by TrialInfo.ID
	now    func() time.Time
}

type liveTrial struct {
	live  results.Live
	every int // the curve's iteration stride (results.Live.AddPoint)
	last  time.Time
}

func newLiveObserver(next Observer, root, pipeline string) *liveObserver {
	if next == nil {
		next = NopObserver{}
	}
	return &liveObserver{Observer: next, root: root, pipeline: pipeline, trials: map[int]*liveTrial{}, now: time.Now}
}

func (o *liveObserver) TrialStarted(t TrialInfo) {
	now := o.now()
	lt := &liveTrial{every: 1, last: now, live: results.Live{
		Key: t.Key, Pipeline: o.pipeline, Group: t.Group, Label: t.Label, PID: os.Getpid(),
		Started: now.UTC().Format(time.RFC3339), Updated: now.UTC().Format(time.RFC3339),
		Iters: t.Iters,
	}}
	o.mu.Lock()
	o.trials[t.ID] = lt
	live := lt.live
	o.mu.Unlock()
	_ = results.WriteLive(o.root, live)
	o.Observer.TrialStarted(t)
}

func (o *liveObserver) TrialProgress(t TrialInfo, p nn.Progress) {
	o.mu.Lock()
	lt := o.trials[t.ID]
	var live results.Live
	write := false
	if lt != nil {
		lt.every = lt.live.AddPoint(p.Iter, p.Loss, lt.every)
		lt.live.Epoch, lt.live.Epochs, lt.live.Iter, lt.live.Iters, lt.live.Loss = p.Epoch, p.Epochs, p.Iter, p.Iters, p.Loss
		if now := o.now(); now.Sub(lt.last) >= liveInterval || p.Iter == p.Iters {
			lt.last = now
			lt.live.Updated = now.UTC().Format(time.RFC3339)
			live = lt.live
			live.Curve = append([][2]float64(nil), lt.live.Curve...)
			write = true
		}
	}
	o.mu.Unlock()
	if write {
		_ = results.WriteLive(o.root, live)
	}
	o.Observer.TrialProgress(t, p)
}

func (o *liveObserver) TrialFinished(t TrialInfo, rec results.Record, cached bool) {
	if !cached {
		o.forget(func(id int, _ *liveTrial) bool { return id == t.ID })
	}
	o.Observer.TrialFinished(t, rec, cached)
}

func (o *liveObserver) GroupFinished(g GroupInfo, err error) {
	o.forget(func(_ int, lt *liveTrial) bool { return lt.live.Group == g.Name })
	o.Observer.GroupFinished(g, err)
}

// forget removes the progress files of the trials drop selects.
func (o *liveObserver) forget(drop func(int, *liveTrial) bool) {
	o.mu.Lock()
	var keys []string
	for id, lt := range o.trials {
		if drop(id, lt) {
			keys = append(keys, lt.live.Key)
			delete(o.trials, id)
		}
	}
	o.mu.Unlock()
	for _, k := range keys {
		_ = results.RemoveLive(o.root, k)
	}
}
