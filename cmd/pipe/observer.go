package main

// This file holds what every progress front end shares: the quiet and
// check-mode observers, and the text of group, progress and result lines,
// so that the terminal bars and the plain lines say the same things.

import (
	"fmt"
	"io"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/runtime"
)

// nopObserver is -q: no progress at all.
type nopObserver struct{ runtime.NopObserver }

func (nopObserver) Close()     {}
func (nopObserver) Interrupt() {}

// summaryObserver prints only each group's summary line; pipe check uses it,
// since nothing trains.
type summaryObserver struct {
	runtime.NopObserver
	w io.Writer
}

func (o *summaryObserver) GroupStarted(g runtime.GroupInfo) { fmt.Fprintln(o.w, groupSummary(g)) }
func (o *summaryObserver) Close()                           {}
func (o *summaryObserver) Interrupt()                       {}

// groupSummary is the line that opens a group: "g: N trials, K cached, M to
// train", with the shard and the other shards' share in a shard run.
func groupSummary(g runtime.GroupInfo) string {
	noun := "trials"
	if g.Trials == 1 {
		noun = "trial"
	}
	if g.Shard.Enabled() {
		return fmt.Sprintf("%s: shard %s: %d %s, %d cached, %d to train, %d in other shards", g.Name, g.Shard, g.Trials, noun, g.Cached, g.ToTrain, g.OtherShards)
	}
	return fmt.Sprintf("%s: %d %s, %d cached, %d to train", g.Name, g.Trials, noun, g.Cached, g.ToTrain)
}

// progressText is "epoch 1/2  iter 120/480  loss 0.5231".
func progressText(p nn.Progress) string {
	return fmt.Sprintf("epoch %d/%d  iter %d/%d  loss %.4f", p.Epoch, p.Epochs, p.Iter, p.Iters, p.Loss)
}

// fromText says where a trial continued from: " (from epoch 3, cached)"
// when its first two epochs came from a saved state, else "".
func fromText(t runtime.TrialInfo) string {
	if t.From == 0 {
		return ""
	}
	return fmt.Sprintf(" (from epoch %d, cached)", t.From+1)
}

// resultText summarises a finished trial.
func resultText(rec results.Record) string {
	r := rec.Result
	if r.Status != nn.StatusOK {
		if r.Status == nn.StatusDiverged {
			return fmt.Sprintf("diverged at iteration %d  (%s)", r.DivergedAt, secondsText(rec))
		}
		return fmt.Sprintf("%s  (%s)", r.Status, secondsText(rec))
	}
	return fmt.Sprintf("train %.3f  val %.3f  test %.3f  (%s)", r.TrainAcc, r.ValAcc, r.TestAcc, secondsText(rec))
}

// secondsText is a trial's time as the table's seconds column counts it,
// core-seconds, with the wall time and cores that make it: "16.6 core-s:
// 8.3s wall × 2 cores", or "12.0 core-s: 7.1s wall on up to 2 cores" for a
// trial handed more cores as others finished. Both are labelled, so a done
// line and its table row are seen to say the same.
func secondsText(rec results.Record) string {
	cores := max(rec.Threads, 1)
	noun := "cores"
	if cores == 1 {
		noun = "core"
	}
	if rec.CoreSecs > 0 {
		return fmt.Sprintf("%.1f core-s: %.1fs wall on up to %d %s", rec.CoreSeconds(), rec.Seconds, cores, noun)
	}
	return fmt.Sprintf("%.1f core-s: %.1fs wall × %d %s", rec.CoreSeconds(), rec.Seconds, cores, noun)
}

// evaluating reports whether p is an epoch's last step, after which the
// solver evaluates accuracies before the next step (or the end).
func evaluating(p nn.Progress) bool {
	if p.Epochs < 1 || p.Iters < p.Epochs || p.Iter < 1 {
		return false
	}
	return p.Iter%(p.Iters/p.Epochs) == 0
}

// etaMinSteps is how many timed steps an ETA needs. The time before the
// first progress report (building the model, the first step's warm-up) says
// nothing about the steps to come: counted in, it made the first ETA of a
// 20 s trial 4m35s.
const etaMinSteps = 3

// stepClock times a trial's steps from its first progress report on.
type stepClock struct {
	first     time.Time // when the first report came
	firstIter int
}

// eta extrapolates the time left from the steps timed since the first
// report; "" until etaMinSteps of them are. After an epoch's last step the
// solver measures accuracies (at the end, the test split's too: seconds on
// a large data set), which no step time predicts, so until the next step
// the phase is shown instead: "evaluating".
func (c *stepClock) eta(now time.Time, p nn.Progress) string {
	if c.first.IsZero() {
		c.first, c.firstIter = now, p.Iter
	}
	if evaluating(p) {
		return "evaluating"
	}
	timed := p.Iter - c.firstIter
	if timed < etaMinSteps {
		return ""
	}
	left := time.Duration(float64(now.Sub(c.first)) * float64(p.Iters-p.Iter) / float64(timed))
	return "eta " + left.Round(time.Second).String()
}
