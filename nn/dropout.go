package nn

import (
	"fmt"
	"math/rand/v2"
)

// Dropout is inverted dropout (dropoutLayer).
const Dropout LayerKind = "dropout"

var _ = registerLayer(&LayerType{
	Kind: Dropout,
	Doc:  "Inverted dropout dropping each unit with probability p in [0, 1).",
	Args: []Arg{{Name: "p", Type: ArgProb, get: func(l LayerSpec) any { return l.P }}},
	spec: func(a ArgValues) LayerSpec { return LayerSpec{P: a.Float("p")} },
	shape: func(l LayerSpec, in [3]int, _ int) ([3]int, error) {
		if !(l.P >= 0 && l.P < 1) {
			return in, fmt.Errorf("drop probability %g: must be in [0, 1)", l.P)
		}
		return in, nil
	},
	build: buildWith(buildDropout[float32], buildDropout[float64]),
})

func buildDropout[T Float](b *builder[T], l LayerSpec) layer[T] {
	return newDropoutLayer[T](b.in, l.P, b.dropRNG, b.needDx())
}

// dropoutLayer is inverted dropout with drop probability p: in training each
// unit is zeroed with probability p and the kept ones are scaled by 1/(1-p),
// so that the expected activation is unchanged and test time is the
// identity. Any shape (N, ...).
//
// The masks come from the model's dropout stream, so a model built from the
// same seed draws the same masks. frozen reuses the last mask instead of
// drawing a new one; the gradient check sets it so that the loss is a fixed
// function of the weights.
type dropoutLayer[T Float] struct {
	in      [3]int
	p       float64
	rng     *rand.Rand
	mask    []T // 0 or 1/(1-p) per unit of the last training batch
	frozen  bool
	train   bool // mode of the last forward
	out, dx buffer[T]
	needDx  bool
}

func newDropoutLayer[T Float](in [3]int, p float64, rng *rand.Rand, needDx bool) *dropoutLayer[T] {
	return &dropoutLayer[T]{in: in, p: p, rng: rng, needDx: needDx}
}

func (l *dropoutLayer[T]) params() []*Param[T] { return nil }

func (l *dropoutLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(Dropout, x, l.in)
	out := l.out.resize(n, l.in[0], l.in[1], l.in[2])
	l.train = train && l.p > 0
	if !l.train {
		copy(out.Data, x.Data)
		return out
	}
	if !l.frozen || len(l.mask) != len(x.Data) {
		l.mask = grow(l.mask, len(x.Data))
		keep := T(1 / (1 - l.p))
		for i := range l.mask {
			if l.rng.Float64() < l.p {
				l.mask[i] = 0
			} else {
				l.mask[i] = keep
			}
		}
	}
	for i, v := range x.Data {
		out.Data[i] = v * l.mask[i]
	}
	return out
}

func (l *dropoutLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(Dropout, dout, &l.out.Tensor)
	if !l.needDx {
		return nil
	}
	dx := l.dx.resize(l.out.Shape[0], l.in[0], l.in[1], l.in[2])
	if !l.train {
		copy(dx.Data, dout.Data)
		return dx
	}
	for i, v := range dout.Data {
		dx.Data[i] = v * l.mask[i]
	}
	return dx
}
