package kernels

import "sync"

// parted is work cut into parts that can run in any order on any goroutine,
// each part touching memory no other part writes.
type parted interface{ part(t int) }

// task is one part handed to a helper goroutine.
type task struct {
	p  parted
	t  int
	wg *sync.WaitGroup
}

// helperCh hands parts to idle helper goroutines. Helpers are started on
// demand and live for the process: a split call then costs a channel
// hand-off per part and no allocation (a closure per `go` statement would
// allocate on every call).
var helperCh = make(chan task)

func helper(first task) {
	for tk := first; ; tk = <-helperCh {
		tk.p.part(tk.t)
		tk.wg.Done()
	}
}

// forParts runs p.part(t) for t in [0, n): part 0 on the caller, the others
// on idle helpers, or on a new helper when none is idle. wg must be unused;
// forParts returns when every part is done. n is at most 64.
func forParts(n int, p parted, wg *sync.WaitGroup) {
	wg.Add(n - 1)
	for t := 1; t < n; t++ {
		tk := task{p, t, wg}
		select {
		case helperCh <- tk:
		default:
			go helper(tk)
		}
	}
	p.part(0)
	wg.Wait()
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
	wg         sync.WaitGroup
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
	forParts(threads, j, &j.wg)
	j.r = nil
	rangePool.put(j)
}
