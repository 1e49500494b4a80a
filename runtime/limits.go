package runtime

// This file bounds what evaluating a pipeline may cost: memory and wall
// time spent in Starlark code and builtins, and how long a stop (Ctrl-C, a
// limit) may take. Training is not bounded here: builtins check the sizes
// of what they ask to train (weights, activations, iterations), and a
// trial's time is what the user asked for.

import (
	"context"
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/results"
)

// DefaultMaxMemory bounds the Go heap while a pipeline is evaluated (not
// while it trains): far above what building specs, loading a data set and
// rendering tables take (tens of MB), far below what makes a machine swap.
const DefaultMaxMemory = 2 << 30

// DefaultEvalTimeout bounds the wall-clock time of evaluation, training
// excluded: the shipped pipelines evaluate in about a second.
const DefaultEvalTimeout = 2 * time.Minute

// stopGrace is how long a stopped evaluation may take to notice it: Starlark
// checks for cancellation between steps, but a builtin that works for long
// (str of a deeply nested list) cannot be interrupted, and is abandoned
// instead. A run stopped for memory waits less, since the work it abandons
// may be allocating.
const (
	stopGrace       = 500 * time.Millisecond
	memoryStopGrace = 100 * time.Millisecond
	watchEvery      = 10 * time.Millisecond
)

// evalGuard watches one evaluation: it knows whether the thread is training
// (inside the Runner), for how long it has evaluated otherwise, and how much
// heap is in use. The Go memory limit is set to maxMemory while evaluating,
// so that the collector works hard before the watchdog gives up, and lifted
// while training, whose memory the builtins have bounded already.
type evalGuard struct {
	maxMemory int64         // <= 0: none
	timeout   time.Duration // <= 0: none

	mu        sync.Mutex
	training  int           // Runner calls in progress
	evaluated time.Duration // evaluation time before since
	since     time.Time     // start of the current stretch of evaluation
	prevLimit int64         // the Go memory limit before the run
}

func newEvalGuard(maxMemory int64, timeout time.Duration) *evalGuard {
	g := &evalGuard{maxMemory: maxMemory, timeout: timeout, since: time.Now(), prevLimit: debug.SetMemoryLimit(-1)}
	g.setLimit(true)
	return g
}

// setLimit sets the Go memory limit for evaluating (on) or training (off).
func (g *evalGuard) setLimit(on bool) {
	if g.maxMemory <= 0 {
		return
	}
	if on {
		debug.SetMemoryLimit(min(g.prevLimit, g.maxMemory))
	} else {
		debug.SetMemoryLimit(g.prevLimit)
	}
}

// close restores the memory limit the process had.
func (g *evalGuard) close() { debug.SetMemoryLimit(g.prevLimit) }

// pause and resume bracket a Runner call.
func (g *evalGuard) pause() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.training == 0 {
		g.evaluated += time.Since(g.since)
		g.setLimit(false)
	}
	g.training++
}

func (g *evalGuard) resume() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.training--
	if g.training == 0 {
		g.since = time.Now()
		g.setLimit(true)
	}
}

// isTraining reports whether a Runner call is in progress.
func (g *evalGuard) isTraining() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.training > 0
}

// exceeded returns why evaluation must stop now (nil while it is within its
// limits or training).
func (g *evalGuard) exceeded(sample []metrics.Sample) *stop {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.training > 0 {
		return nil
	}
	if g.timeout > 0 && g.evaluated+time.Since(g.since) > g.timeout {
		return &stop{reason: fmt.Sprintf("evaluating the pipeline took longer than %v, training excluded (--eval-timeout)", g.timeout)}
	}
	if g.maxMemory > 0 {
		metrics.Read(sample)
		if v := sample[0].Value; v.Kind() == metrics.KindUint64 && v.Uint64() > uint64(g.maxMemory) {
			return &stop{reason: fmt.Sprintf("evaluating the pipeline used more than %s of memory (--max-memory)", FormatSize(g.maxMemory)), memory: true}
		}
	}
	return nil
}

// heapMetric is the heap in use by objects, live or not yet collected.
const heapMetric = "/memory/classes/heap/objects:bytes"

// stop says why an evaluation was stopped: the user interrupted it (ctx)
// or it exceeded a limit.
type stop struct {
	reason    string
	interrupt bool
	memory    bool
}

// watch cancels thread when ctx is done or the guard's limits are exceeded,
// and sends why on the returned channel; closing done ends it.
func (g *evalGuard) watch(ctx context.Context, thread *starlark.Thread, done <-chan struct{}) <-chan stop {
	stops := make(chan stop, 1)
	go func() {
		tick := time.NewTicker(watchEvery)
		defer tick.Stop()
		sample := []metrics.Sample{{Name: heapMetric}}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				thread.Cancel("interrupted")
				stops <- stop{reason: "interrupted", interrupt: true}
				return
			case <-tick.C:
				if s := g.exceeded(sample); s != nil {
					thread.Cancel(s.reason)
					stops <- *s
					return
				}
			}
		}
	}()
	return stops
}

// pausingRunner is the Runner builtins see: the scheduler, with the guard
// told when training starts and ends.
type pausingRunner struct {
	*Scheduler
	guard *evalGuard
}

func (r pausingRunner) Run(ctx context.Context, group string, jobs []builtins.Job) ([]results.Record, error) {
	r.guard.pause()
	defer r.guard.resume()
	return r.Scheduler.Run(ctx, group, jobs)
}

// valueSlot is what one element of a list or tuple costs: a Starlark Value
// is an interface, two words.
const valueSlot = 16

// sizedBuiltins are the universe builtins that allocate a slot per element
// of their argument before looking at it: list(range(2000000000)) asks for
// 32 GB in one allocation, which no memory limit can stop once asked.
var sizedBuiltins = []string{"list", "tuple", "sorted", "reversed", "enumerate", "zip", "set"}

// boundSizes returns predeclared with the sizedBuiltins wrapped so that an
// argument whose length (when known without iterating, like a range's)
// would take more than maxMemory in slots is an error at the call.
func boundSizes(predeclared starlark.StringDict, maxMemory int64) starlark.StringDict {
	if maxMemory <= 0 {
		return predeclared
	}
	out := make(starlark.StringDict, len(predeclared)+len(sizedBuiltins))
	for k, v := range predeclared {
		out[k] = v
	}
	for _, name := range sizedBuiltins {
		if _, ok := out[name]; ok {
			continue // a pipeline-level definition wins
		}
		inner, ok := starlark.Universe[name].(*starlark.Builtin)
		if !ok {
			continue
		}
		out[name] = starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			for _, a := range args {
				if n := starlark.Len(a); n > 0 && int64(n) > maxMemory/valueSlot {
					return nil, fmt.Errorf("%s: %d elements would take %s, more than the %s evaluation may use (--max-memory)",
						name, n, FormatSize(int64(math.Min(float64(n)*valueSlot, math.MaxInt64))), FormatSize(maxMemory))
				}
			}
			return inner.CallInternal(thread, args, kwargs)
		})
	}
	return out
}

// FormatSize renders a byte count in binary units ("2 GiB", "512 MiB").
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f, u := float64(n), 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f %s", f, units[u])
	}
	return fmt.Sprintf("%.3g %s", f, units[u])
}
