package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/runtime"
)

// fakeClock is a settable time source for the plain observer.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// testPlain is a plain observer writing to buf on a fake clock at 15:04:05,
// and a trial to tell it about.
func testPlain(buf *bytes.Buffer) (*plainObserver, *fakeClock, runtime.TrialInfo) {
	clock := &fakeClock{t: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)}
	o := newPlainObserver(buf)
	o.now = clock.now
	return o, clock, runtime.TrialInfo{ID: 1, Group: "sweep", Label: "lr=0.1", Iters: 200}
}

// TestPlainObserverWaiting: a trial another process trains gets a waiting
// line and, when its record appears, a done line saying who trained it; a
// plain cached trial gets neither.
func TestPlainObserverWaiting(t *testing.T) {
	var buf bytes.Buffer
	o, clock, tr := testPlain(&buf)
	o.TrialWaiting(tr, "node7:4242")
	clock.t = clock.t.Add(3 * time.Second)
	o.TrialFinished(tr, results.Record{Result: nn.Result{Status: "ok", TrainAcc: 0.9, ValAcc: 0.8, TestAcc: 0.7}, Seconds: 20}, true)
	o.TrialFinished(runtime.TrialInfo{ID: 2, Label: "cached one"}, results.Record{}, true)
	want := "15:04:05 waiting lr=0.1: being trained by node7:4242\n" +
		"15:04:08 done lr=0.1  train 0.900  val 0.800  test 0.700  (20.0 core-s: 20.0s wall × 1 core)  by another process\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// TestETAFromMeasuredSteps: a slow start (building the model, a first step
// that warms up) does not enter the ETA, which waits for timed steps: the
// first ETA of a 30 s trial is about 30 s, not minutes.
func TestETAFromMeasuredSteps(t *testing.T) {
	var c stepClock
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now = now.Add(20 * time.Second) // 20 s before the first report
	var got []string
	for i := 1; i <= 5; i++ {
		got = append(got, c.eta(now, nn.Progress{Iter: i, Iters: 201}))
		now = now.Add(150 * time.Millisecond)
	}
	want := []string{"", "", "", "eta 30s", "eta 29s"}
	if !slices.Equal(got, want) {
		t.Errorf("ETAs %q, want %q", got, want)
	}
}

// TestETAEvaluating: after an epoch's last step the solver evaluates
// accuracies, which no step time predicts (a final one took 6 s while the
// ETA said 0s): the phase is shown instead, until the next step.
func TestETAEvaluating(t *testing.T) {
	var c stepClock
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	for i := 1; i <= 12; i++ {
		got = append(got, c.eta(now, nn.Progress{Epoch: 1 + (i-1)/6, Epochs: 2, Iter: i, Iters: 12}))
		now = now.Add(time.Second)
	}
	want := []string{"", "", "", "eta 8s", "eta 7s", "evaluating", "eta 5s", "eta 4s", "eta 3s", "eta 2s", "eta 1s", "evaluating"}
	if !slices.Equal(got, want) {
		t.Errorf("ETAs %q, want %q", got, want)
	}
}

func TestPlainObserverThrottles(t *testing.T) {
	var buf bytes.Buffer
	o, clock, tr := testPlain(&buf)

	o.GroupStarted(runtime.GroupInfo{Name: "sweep", Trials: 3, Cached: 1, ToTrain: 2})
	o.TrialStarted(tr)
	// 200 iterations over 2 epochs, 0.15 s each: 30 s in all.
	for i := 1; i <= 200; i++ {
		clock.t = clock.t.Add(150 * time.Millisecond)
		o.TrialProgress(tr, nn.Progress{Epoch: 1 + (i-1)/100, Epochs: 2, Iter: i, Iters: 200, Loss: 0.5})
	}
	o.TrialFinished(tr, results.Record{Result: nn.Result{Status: "ok", TrainAcc: 0.9, ValAcc: 0.8, TestAcc: 0.7}, Seconds: 20, Threads: 2}, false)
	o.TrialFinished(runtime.TrialInfo{ID: 2, Label: "cached one"}, results.Record{}, true)
	o.GroupFinished(runtime.GroupInfo{}, nil)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"15:04:05 sweep: 3 trials, 1 cached, 2 to train",
		"15:04:05 start lr=0.1",
		"15:04:05 lr=0.1  epoch 1/2  iter 1/200  loss 0.5000",            // first of epoch 1: no step timed yet
		"15:04:15 lr=0.1  epoch 1/2  iter 68/200  loss 0.5000  eta 20s",  // 10 s later
		"15:04:20 lr=0.1  epoch 2/2  iter 101/200  loss 0.5000  eta 15s", // first of epoch 2
		"15:04:30 lr=0.1  epoch 2/2  iter 168/200  loss 0.5000  eta 5s",  // 10 s later
		// the table's seconds column shows 40.0, labelled core-seconds
		"15:04:35 done lr=0.1  train 0.900  val 0.800  test 0.700  (40.0 core-s: 20.0s wall × 2 cores)",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], want[i])
		}
	}
	if strings.ContainsAny(buf.String(), "\x1b\r") {
		t.Error("plain output holds control characters")
	}
}

// TestTermObserverEndsCleanly drives the terminal observer through a group
// where one trial finishes and one is abandoned (an interrupt), and checks
// that ending the group does not wait forever on the unfinished bar and
// that lines written between groups come out in order.
func TestTermObserverEndsCleanly(t *testing.T) {
	var buf bytes.Buffer
	o := newTermObserver(&buf)
	done := make(chan struct{})
	go func() {
		defer close(done)
		g := runtime.GroupInfo{Name: "sweep", Trials: 3, Cached: 1, ToTrain: 2}
		o.GroupStarted(g)
		a := runtime.TrialInfo{ID: 1, Label: "a", Iters: 10}
		b := runtime.TrialInfo{ID: 2, Label: "b", Iters: 10}
		o.TrialStarted(a)
		o.TrialStarted(b)
		for i := 1; i <= 10; i++ {
			o.TrialProgress(a, nn.Progress{Epoch: 1, Epochs: 1, Iter: i, Iters: 10})
		}
		o.TrialProgress(b, nn.Progress{Epoch: 1, Epochs: 1, Iter: 3, Iters: 10})
		o.TrialFinished(a, results.Record{Result: nn.Result{Status: "ok"}}, false)
		o.GroupFinished(g, errors.New("interrupted"))
		buf.WriteString("TABLE\n")
		o.GroupStarted(runtime.GroupInfo{Name: "again", Trials: 1, Cached: 1})
		o.GroupFinished(runtime.GroupInfo{}, nil)
		o.Close()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal observer hangs when a group ends with an unfinished trial")
	}
	out := buf.String()
	for _, want := range []string{"sweep: 3 trials, 1 cached, 2 to train", "done a  train 0.000  val 0.000  test 0.000  (0.0 core-s: 0.0s wall × 1 core)\nTABLE\nagain: 1 trial, 1 cached, 0 to train"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// syncBuffer is a terminal's one stream, written by the bars and the
// signal handler at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestInterruptStopsBarsFirst: the interrupt message is written after the
// bars' last frame, and nothing is drawn after it while workers keep
// reporting progress. Before, bars went on redrawing, moving the cursor up
// over the message and leaving a garbled line (swsweep) on the terminal.
func TestInterruptStopsBarsFirst(t *testing.T) {
	var term syncBuffer
	o := newTermObserver(&term)
	o.GroupStarted(runtime.GroupInfo{Name: "sweep", Trials: 2, ToTrain: 2})
	a := runtime.TrialInfo{ID: 1, Label: "a", Iters: 1000}
	o.TrialStarted(a)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			o.TrialProgress(a, nn.Progress{Epoch: 1, Epochs: 1, Iter: i % 999, Iters: 1000, Loss: 0.5})
			time.Sleep(time.Millisecond)
		}
	})
	time.Sleep(400 * time.Millisecond) // a few frames
	announceInterrupt(o, &term)
	time.Sleep(600 * time.Millisecond) // mpb redraws every 150 ms
	close(stop)
	wg.Wait()
	o.GroupFinished(runtime.GroupInfo{}, errors.New("interrupted"))
	o.Close()
	out := term.String()
	i := strings.Index(out, interruptMessage)
	if i < 0 {
		t.Fatalf("no interrupt message in %q", out)
	}
	if !strings.Contains(out[:i], "  a   epoch 1/1") {
		t.Errorf("no bar was drawn before the interrupt: %q", out[:i])
	}
	if rest := out[i+len(interruptMessage):]; rest != "\n" {
		t.Errorf("written after the interrupt message: %q", rest)
	}
}

// TestSecondsTextGrownTrial: a trial handed more cores while it trained
// shows the core-seconds its record summed, on up to its most cores, and
// the table's seconds column shows the same number.
func TestSecondsTextGrownTrial(t *testing.T) {
	rec := results.Record{Seconds: 6, Threads: 2, CoreSecs: 9.5}
	if got, want := secondsText(rec), "9.5 core-s: 6.0s wall on up to 2 cores"; got != want {
		t.Errorf("secondsText = %q, want %q", got, want)
	}
	if got := rec.CoreSeconds(); got != 9.5 {
		t.Errorf("CoreSeconds = %v, want 9.5", got)
	}
	rec.CoreSecs = 0
	if got, want := secondsText(rec), "12.0 core-s: 6.0s wall × 2 cores"; got != want {
		t.Errorf("secondsText = %q, want %q", got, want)
	}
}
