package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/runtime"
)

// termObserver draws live progress bars on a terminal: while a group trains,
// one bar per running trial (label, epoch, iteration, loss, ETA) under an
// overall bar of the group's trials.
//
// Result lines of finished trials are printed when their group ends.
//
// Each group gets its own mpb container, created when the group starts and
// waited for when it ends. Tables and print() output only happen between
// groups (Starlark evaluation is single-threaded and Runner.Run is
// synchronous), so by then every bar is finished and flushed and pipelines
// write straight to the terminal without garbling a bar.
type termObserver struct {
	w io.Writer

	mu      sync.Mutex
	p       *mpb.Progress
	overall *mpb.Bar
	bars    map[int]*trialBar
	// done holds the result lines of the group's finished trials. They are
	// printed when the group ends, once the bars are gone: mpb's Write is
	// buffered until its next redraw, and a line written just before the
	// container stops can be lost. Meanwhile the overall bar shows the last one.
	done []string
	last atomic.Pointer[string]
	// interrupted: the run is stopping; no more bars are drawn.
	interrupted bool
}

type trialBar struct {
	bar       *mpb.Bar
	start     time.Time
	elsewhere bool // another process trains it
	mu        sync.Mutex
	p         nn.Progress
	clock     stepClock
	eta       string // from clock at the last report
}

func (tb *trialBar) progress() nn.Progress {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return tb.p
}

func newTermObserver(w io.Writer) *termObserver {
	return &termObserver{w: w, bars: map[int]*trialBar{}}
}

func (o *termObserver) GroupStarted(g runtime.GroupInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finishLocked()
	fmt.Fprintln(o.w, groupSummary(g))
	if g.ToTrain == 0 || o.interrupted {
		return // nothing will move: no bars
	}
	// Auto refresh: the caller has decided o.w is a terminal (mpb would
	// not redraw a writer it cannot tell is one, as in tests).
	o.p = mpb.New(mpb.WithOutput(o.w), mpb.WithWidth(30), mpb.WithAutoRefresh())
	total := int64(g.Cached + g.ToTrain)
	o.overall = o.p.AddBar(total,
		mpb.PrependDecorators(
			decor.Name(g.Name, decor.WCSyncSpaceR),
			decor.CountersNoUnit("%d/%d trials", decor.WCSyncSpaceR),
		),
		mpb.AppendDecorators(
			decor.Name("wall"), // the table's seconds are core-seconds
			decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string {
				if l := o.last.Load(); l != nil {
					return "  last " + *l
				}
				return ""
			}),
		),
	)
	o.overall.SetCurrent(int64(g.Cached))
}

func (o *termObserver) TrialStarted(t runtime.TrialInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p == nil {
		return
	}
	if old := o.bars[t.ID]; old != nil {
		old.bar.Abort(true) // it waited for another process, which gave it up
	}
	tb := &trialBar{p: nn.Progress{Iters: t.Iters}, start: time.Now()}
	tb.bar = o.p.AddBar(int64(max(t.Iters, 1)),
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(
			decor.Name("  "+t.Label+fromText(t), decor.WCSyncSpaceR),
			decor.Any(func(decor.Statistics) string {
				p := tb.progress()
				if p.Iter == 0 {
					return "starting"
				}
				return progressText(p)
			}, decor.WCSyncSpaceR),
		),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			tb.mu.Lock()
			defer tb.mu.Unlock()
			return tb.eta
		})),
	)
	o.bars[t.ID] = tb
}

func (o *termObserver) TrialProgress(t runtime.TrialInfo, p nn.Progress) {
	o.mu.Lock()
	tb := o.bars[t.ID]
	o.mu.Unlock()
	if tb == nil {
		return
	}
	tb.mu.Lock()
	tb.p = p
	tb.eta = tb.clock.eta(time.Now(), p)
	tb.mu.Unlock()
	if p.Iter < p.Iters {
		// The solver's count is exact; the bar's was an estimate. The last
		// iteration is left to TrialFinished so the bar does not vanish
		// while the trial still evaluates its accuracies.
		tb.bar.SetTotal(int64(p.Iters), false)
		tb.bar.SetCurrent(int64(p.Iter))
	}
}

// TrialWaiting shows a trial another process trains as a bar that does not
// move, until its record appears.
func (o *termObserver) TrialWaiting(t runtime.TrialInfo, holder string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p == nil {
		return
	}
	if tb := o.bars[t.ID]; tb != nil {
		tb.bar.Abort(true)
	}
	tb := &trialBar{start: time.Now(), elsewhere: true}
	tb.bar = o.p.AddBar(1, mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name("  "+t.Label, decor.WCSyncSpaceR), decor.Name("being trained by "+holder)))
	o.bars[t.ID] = tb
}

func (o *termObserver) TrialFinished(t runtime.TrialInfo, rec results.Record, cached bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p == nil {
		return
	}
	tb := o.bars[t.ID]
	if cached && (tb == nil || !tb.elsewhere) {
		return
	}
	text := fmt.Sprintf("done %s  %s", t.Label, resultText(rec))
	if cached {
		text += "  by another process"
	}
	o.done = append(o.done, text)
	last := t.Label
	if rec.Result.Status == nn.StatusOK {
		last += fmt.Sprintf(" val %.3f", rec.Result.ValAcc)
	} else {
		last += " " + string(rec.Result.Status)
	}
	o.last.Store(&last)
	if tb != nil {
		tb.bar.SetTotal(-1, true)
		delete(o.bars, t.ID)
	}
	o.overall.Increment()
}

func (o *termObserver) GroupFinished(g runtime.GroupInfo, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finishLocked()
}

// finishLocked ends the current group's bars (aborting those of trials that
// never finished) and waits until mpb has drawn its last frame.
func (o *termObserver) finishLocked() {
	if o.p == nil {
		return
	}
	for id, tb := range o.bars {
		tb.bar.Abort(true)
		delete(o.bars, id)
	}
	if !o.overall.Completed() {
		o.overall.Abort(false)
	}
	o.p.Wait()
	o.p, o.overall = nil, nil
	o.last.Store(nil)
	for _, line := range o.done {
		fmt.Fprintln(o.w, line)
	}
	o.done = o.done[:0]
}

// Interrupt stops the bars now, before the caller writes to the terminal.
func (o *termObserver) Interrupt() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.interrupted = true
	o.finishLocked()
}

func (o *termObserver) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finishLocked()
}
