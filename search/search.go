// Package search proposes settings for hyper-parameter searches: at random
// or by the tree-structured Parzen estimator (TPE). It knows nothing of
// Starlark, training or files: an axis is an interval of real numbers (log
// scales, integers and choices are mapped into one by the caller, see
// Axis) and a proposal is a point in the product of the axes.
//
// Every proposal is a pure function of the search seed, its index and the
// observations it is given, and draws its random numbers from a PCG stream
// of its own whose floats are computed here (not by math/rand's Float64 or
// NormFloat64, whose algorithms Go may change), so proposals are identical
// on every machine, Go version and degree of parallelism.
package search

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Kind is how an axis's interval maps to a setting's values.
type Kind int

const (
	Float  Kind = iota // any value in [Lo, Hi]; also a log scale when the caller passes logarithms
	Int                // integers: [Lo, Hi] is [min-0.5, max+0.5], a value is the nearest integer
	Choice             // categories: [Lo, Hi] is [0, n), a value is its floor
)

// Axis is one dimension of a search space in the coordinates the samplers
// work in: the logarithm of a log-scaled setting, an integer widened by
// half a step each side (as Optuna's IntDistribution with step 1), the
// index of a choice.
type Axis struct {
	Name   string
	Kind   Kind
	Lo, Hi float64
}

// Observation is a finished proposal: its coordinates (one per axis) and
// the objective, to be maximised. -Inf (a diverged trial) is the worst.
type Observation struct {
	X     []float64
	Value float64
}

// Sampler names the way proposals are made.
type Sampler string

const (
	Random Sampler = "random"
	TPE    Sampler = "tpe"
)

// Propose returns proposal number index of a search with this seed, given
// the observations of earlier rounds in proposal order. Random ignores
// them. TPE proposes at random until StartupTrials observations exist, so
// its first proposals are the random sampler's: the same trials, cached
// once for both.
func Propose(s Sampler, axes []Axis, seed uint64, index int, obs []Observation) ([]float64, error) {
	for _, o := range obs {
		if len(o.X) != len(axes) {
			return nil, fmt.Errorf("search: observation has %d coordinates for %d axes", len(o.X), len(axes))
		}
	}
	for _, a := range axes {
		if !(a.Hi > a.Lo) {
			return nil, fmt.Errorf("search: axis %s: empty interval [%g, %g]", a.Name, a.Lo, a.Hi)
		}
	}
	switch s {
	case Random:
		return randomPoint(axes, newStream(seed, index, streamRandom)), nil
	case TPE:
		if len(obs) < StartupTrials {
			return randomPoint(axes, newStream(seed, index, streamRandom)), nil
		}
		return tpePoint(axes, newStream(seed, index, streamTPE), obs), nil
	}
	return nil, fmt.Errorf("search: unknown sampler %q (valid: random, tpe)", s)
}

func randomPoint(axes []Axis, r *stream) []float64 {
	x := make([]float64, len(axes))
	for i, a := range axes {
		x[i] = a.Lo + r.float()*(a.Hi-a.Lo)
	}
	return x
}

// stream is a PCG generator with the conversions the samplers need,
// written out so that their results cannot change under us.
type stream struct{ pcg *rand.PCG }

const (
	streamRandom = 1
	streamTPE    = 2
)

// newStream seeds proposal index of a search: the seed and the index go
// through splitmix64 so that neighbouring seeds and indices give unrelated
// streams.
func newStream(seed uint64, index int, kind uint64) *stream {
	return &stream{rand.NewPCG(splitmix(seed^kind<<56), splitmix(uint64(index)))}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// float is uniform in [0, 1) with 53 random bits.
func (r *stream) float() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// open is uniform in (0, 1).
func (r *stream) open() float64 { return (float64(r.pcg.Uint64()>>11) + 0.5) * 0x1p-53 }

// pick returns i with probability w[i] (w sums to 1).
func (r *stream) pick(w []float64) int {
	u, acc := r.float(), 0.0
	for i, wi := range w {
		acc += wi
		if u < acc {
			return i
		}
	}
	return len(w) - 1
}

// normCDF is Φ, the standard normal distribution function.
func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// normQuantile is Φ⁻¹.
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
