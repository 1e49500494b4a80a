package kernels

import (
	"fmt"
	"math"
)

// AdamConsts are the per-step constants of one Adam update in PyTorch's
// formulation (see AdamRef). The caller forms them in float64 and rounds
// once: 1-β in float32 would be off by 1e-5 relative for β2 = 0.999.
type AdamConsts struct {
	B1, C1     float32 // β1 and 1-β1
	B2, C2     float32 // β2 and 1-β2
	Step       float32 // lr / (1-β1ᵗ)
	InvSqrtBC2 float32 // 1 / √(1-β2ᵗ)
	Eps        float32
	Decay      float32 // L2 factor reg added to the gradient as reg·w
	HasDecay   bool    // add Decay·w (false: the gradient is used as is)
}

// AdamRef is the reference Adam update, one element at a time:
//
//	g' = g + Decay·w                      (when HasDecay)
//	m  = β1·m + (1-β1)·g'
//	v  = β2·v + (1-β2)·g'·g'
//	w -= Step·m / (√v·InvSqrtBC2 + Eps)
//
// Every product and sum is rounded to float32 separately (the explicit
// conversions forbid the compiler to fuse them into FMAs), which is exactly
// what the vector kernel computes lane by lane, so the two agree bit for bit.
// w, g, m and v must have the same length.
func AdamRef(w, g, m, v []float32, c *AdamConsts) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for i := range w {
		gi := g[i]
		if c.HasDecay {
			gi += float32(c.Decay * w[i])
		}
		mi := float32(c.B1*m[i]) + float32(c.C1*gi)
		vi := float32(c.B2*v[i]) + float32(float32(c.C2*gi)*gi)
		m[i], v[i] = mi, vi
		den := float32(float32(float32(math.Sqrt(float64(vi)))*c.InvSqrtBC2) + c.Eps)
		w[i] -= float32(c.Step*mi) / den
	}
}

// Adam applies AdamRef to w, g, m, v with the AVX2 kernel where the CPU has
// it. The √ rounds the float64 root of a float32 to float32, which equals
// the float32 root (the double rounding is innocuous), so the result is the
// same on every path.
func Adam(w, g, m, v []float32, c *AdamConsts) {
	if len(g) < len(w) || len(m) < len(w) || len(v) < len(w) {
		panic(fmt.Sprintf("kernels: Adam: len(w)=%d but len(g)=%d, len(m)=%d, len(v)=%d", len(w), len(g), len(m), len(v)))
	}
	n := adamVec(w, g, m, v, c)
	AdamRef(w[n:], g[n:], m[n:], v[n:], c)
}

// adamChunk is how many elements one goroutine of AdamParallel updates at a
// time (256 KiB of each array): large enough to amortise the hand-off,
// small enough to balance two threads over a 4M-element weight.
const adamChunk = 1 << 16

// adamJob is one AdamParallel call, pooled so that handing it to helper
// goroutines allocates nothing.
type adamJob struct {
	w, g, m, v []float32
	c          AdamConsts
	threads    int
	join       joiner
}

var adamPool freeList[adamJob]

func (j *adamJob) part(t int) {
	n := len(j.w)
	lo, hi := n*t/j.threads, n*(t+1)/j.threads
	Adam(j.w[lo:hi], j.g[lo:hi], j.m[lo:hi], j.v[lo:hi], &j.c)
}

// AdamParallel is Adam on up to threads goroutines. Elements are
// independent, so the result is bit-identical to Adam whatever the thread
// count.
func AdamParallel(threads int, w, g, m, v []float32, c *AdamConsts) {
	n := len(w)
	if threads <= 1 || n < 2*adamChunk || len(g) < n || len(m) < n || len(v) < n {
		Adam(w, g, m, v, c) // (which panics on short slices)
		return
	}
	j := adamPool.get()
	j.w, j.g, j.m, j.v, j.c = w, g[:n], m[:n], v[:n], *c
	j.threads = min(threads, (n+adamChunk-1)/adamChunk, 64)
	forParts(j.threads, j, &j.join)
	j.w, j.g, j.m, j.v = nil, nil, nil, nil
	adamPool.put(j)
}
