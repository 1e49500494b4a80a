package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/runtime"
)

// plainEvery is the longest a running trial stays silent in plain output.
const plainEvery = 10 * time.Second

// plainObserver prints progress as timestamped lines with no terminal
// control characters, for logs, pipes and CI. It is throttled: per trial one
// line when it starts, at each new epoch, at most every plainEvery in
// between, and one when it finishes.
type plainObserver struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time
	trials map[int]*plainTrial
}

type plainTrial struct {
	start     time.Time
	clock     stepClock
	lastPrint time.Time
	lastEpoch int
	elsewhere bool // another process is training it; this run waits
}

func newPlainObserver(w io.Writer) *plainObserver {
	return &plainObserver{w: w, now: time.Now, trials: map[int]*plainTrial{}}
}

func (o *plainObserver) printf(format string, args ...any) {
	fmt.Fprintf(o.w, "%s "+format+"\n", append([]any{o.now().Format("15:04:05")}, args...)...)
}

func (o *plainObserver) GroupStarted(g runtime.GroupInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.printf("%s", groupSummary(g))
}

func (o *plainObserver) TrialStarted(t runtime.TrialInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	o.trials[t.ID] = &plainTrial{start: now, lastPrint: now}
	o.printf("start %s%s", t.Label, fromText(t))
}

func (o *plainObserver) TrialProgress(t runtime.TrialInfo, p nn.Progress) {
	o.mu.Lock()
	defer o.mu.Unlock()
	tr := o.trials[t.ID]
	if tr == nil {
		return
	}
	now := o.now()
	eta := tr.clock.eta(now, p)
	if p.Epoch == tr.lastEpoch && now.Sub(tr.lastPrint) < plainEvery {
		return
	}
	tr.lastEpoch, tr.lastPrint = p.Epoch, now
	if eta == "" {
		o.printf("%s  %s", t.Label, progressText(p))
		return
	}
	o.printf("%s  %s  %s", t.Label, progressText(p), eta)
}

func (o *plainObserver) TrialWaiting(t runtime.TrialInfo, holder string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	o.trials[t.ID] = &plainTrial{start: now, lastPrint: now, elsewhere: true}
	o.printf("waiting %s: being trained by %s", t.Label, holder)
}

func (o *plainObserver) TrialFinished(t runtime.TrialInfo, rec results.Record, cached bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	tr := o.trials[t.ID]
	if cached && (tr == nil || !tr.elsewhere) {
		return // the group summary counts them; a line each would bury the news
	}
	delete(o.trials, t.ID)
	if cached {
		o.printf("done %s  %s  by another process", t.Label, resultText(rec))
		return
	}
	o.printf("done %s  %s", t.Label, resultText(rec))
}

func (o *plainObserver) GroupFinished(g runtime.GroupInfo, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(o.trials)
}

func (o *plainObserver) Close() {}

// Interrupt does nothing: plain lines are whole lines, written under the lock.
func (o *plainObserver) Interrupt() {}
