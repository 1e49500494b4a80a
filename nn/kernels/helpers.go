package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parted is work cut into parts that can run in any order on any goroutine,
// each part touching memory no other part writes.
type parted interface{ part(t int) }

// task is one part handed to a helper goroutine.
type task struct {
	p    parted
	t    int
	join *joiner
}

// joiner counts the parts of one forParts call still running. The caller
// first polls left, and parks on wg only if the parts take longer than
// spinFor: a parked caller is readied onto the P of the helper that
// finishes last, where a polling helper would then hold it up.
type joiner struct {
	left atomic.Int32
	wg   sync.WaitGroup
}

// done marks one part finished.
func (j *joiner) done() {
	j.left.Add(-1)
	j.wg.Done()
}

// wait returns when every part is done.
func (j *joiner) wait(spin bool) {
	if spin {
		start := time.Now()
		for n := 1; j.left.Load() != 0; n++ {
			if n%64 == 0 && time.Since(start) > spinFor {
				break
			}
		}
	}
	j.wg.Wait()
}

// helperCh hands parts to parked helper goroutines. Helpers are started on
// demand and live for the process: a split call then costs a hand-off per
// part and no allocation (a closure per `go` statement would allocate on
// every call).
var helperCh = make(chan task)

// spinFor is how long a helper that finished a part keeps polling for the
// next one before it parks on helperCh, and how long a caller polls for its
// parts to finish before it parks. A training step makes about a dozen
// split calls (im2col, each GEMM, pool, bias, Adam) separated by short
// serial stretches; with parking on both sides every call paid for waking
// a sleeping OS thread (on the 2-vCPU VM, a halted vCPU), measured at
// about 150 µs a call in a step, 1.5 ms of a 33 ms step. Helpers exist
// only for a model given several threads, which the scheduler does only
// when cores would otherwise idle, so the polling takes no core from other
// work. Polling is a plain loop, not runtime.Gosched: a yielding helper
// goes to the global run queue, and once the caller has been readied onto
// its P the helper waits there, unseen by the idle P, until the caller
// parks again, which serialised the parts. With GOMAXPROCS 1 nobody polls.
const spinFor = 200 * time.Microsecond

// A spinner is the mailbox of one polling helper. Its state goes
// spinOff → spinFree (the helper polls) → spinClaimed (a caller won the
// CAS and is writing tk) → spinHanded (tk is ready) → spinOff (the helper
// took it), or spinFree → spinOff when the helper stops polling.
type spinner struct {
	state atomic.Uint32
	tk    task
	_     [64]byte // keep mailboxes on separate cache lines
}

const (
	spinOff uint32 = iota
	spinFree
	spinClaimed
	spinHanded
)

// spinners are the mailboxes; helper i (in start order) owns spinners[i],
// later helpers never poll.
var (
	spinners     [8]spinner
	spinnersUsed atomic.Int32
)

func helper(first task) {
	var box *spinner
	if i := int(spinnersUsed.Add(1)) - 1; i < len(spinners) {
		box = &spinners[i]
	}
	for tk := first; ; {
		tk.p.part(tk.t)
		tk.join.done()
		if box != nil && runtime.GOMAXPROCS(0) > 1 {
			if next, ok := box.poll(); ok {
				tk = next
				continue
			}
		}
		tk = <-helperCh
	}
}

// poll offers the helper for spinFor and returns the task a caller handed
// it, or false if none came.
func (b *spinner) poll() (task, bool) {
	b.state.Store(spinFree)
	start := time.Now()
	for n := 1; ; n++ {
		if b.state.Load() == spinHanded {
			return b.take(), true
		}
		if n%32 == 0 && time.Since(start) > spinFor {
			if b.state.CompareAndSwap(spinFree, spinOff) {
				return task{}, false
			}
			// A caller claimed the mailbox meanwhile: its task follows.
			for b.state.Load() != spinHanded {
			}
			return b.take(), true
		}
	}
}

// take empties a handed-over mailbox.
func (b *spinner) take() task {
	tk := b.tk
	b.tk = task{}
	b.state.Store(spinOff)
	return tk
}

// offer hands tk to a polling helper, or returns false if none polls.
func offer(tk task) bool {
	for i := range min(int(spinnersUsed.Load()), len(spinners)) {
		b := &spinners[i]
		if b.state.Load() == spinFree && b.state.CompareAndSwap(spinFree, spinClaimed) {
			b.tk = tk
			b.state.Store(spinHanded)
			return true
		}
	}
	return false
}

// forParts runs p.part(t) for t in [0, n): part 0 on the caller, the others
// on polling helpers, parked ones, or a new helper when none is idle. j
// must be unused; forParts returns when every part is done. n is at most 64.
func forParts(n int, p parted, j *joiner) {
	j.left.Store(int32(n - 1))
	j.wg.Add(n - 1)
	for t := 1; t < n; t++ {
		tk := task{p, t, j}
		if offer(tk) {
			continue
		}
		select {
		case helperCh <- tk:
		default:
			go helper(tk)
		}
	}
	p.part(0)
	j.wait(runtime.GOMAXPROCS(0) > 1)
}

// freeList keeps buffers for reuse across calls. Unlike sync.Pool, which
// the garbage collector empties (so that a warmed-up training step would
// reallocate its multi-megabyte packing scratch after every GC), it keeps
// what it is given: at most one item per call that ever ran concurrently.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

// get returns a free item, or a new zero one.
func (f *freeList[T]) get() *T {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items = f.items[:n-1]
		return x
	}
	return new(T)
}

// put makes x available to the next get.
func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	f.items = append(f.items, x)
	f.mu.Unlock()
}

// Ranged is work over the indices [0, n) of something that can be cut
// anywhere, each index touching memory no other index writes (an image of
// a batch, a plane). A caller keeps one in a long-lived object (a layer)
// and passes a pointer, so that ParallelRange allocates nothing.
type Ranged interface{ Range(lo, hi int) }

// rangeJob is one ParallelRange call, pooled.
type rangeJob struct {
	r          Ranged
	n, threads int
	join       joiner
}

var rangePool freeList[rangeJob]

func (j *rangeJob) part(t int) { j.r.Range(j.n*t/j.threads, j.n*(t+1)/j.threads) }

// ParallelRange calls r.Range on [0, n) cut into up to threads contiguous
// pieces of at least minPer indices, run concurrently (the first on the
// caller). With threads ≤ 1 it is r.Range(0, n). Since the indices are
// independent, the result does not depend on threads.
func ParallelRange(threads, n, minPer int, r Ranged) {
	threads = min(threads, n/max(minPer, 1), 64)
	if threads <= 1 {
		r.Range(0, n)
		return
	}
	j := rangePool.get()
	j.r, j.n, j.threads = r, n, threads
	forParts(threads, j, &j.join)
	j.r = nil
	rangePool.put(j)
}
