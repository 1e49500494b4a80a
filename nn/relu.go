package nn

import "unsafe"

// ReLU is max(0, x) (reluLayer).
const ReLU LayerKind = "relu"

var _ = registerLayer(&LayerType{
	Kind:  ReLU,
	spec:  func(ArgValues) LayerSpec { return LayerSpec{} },
	shape: func(_ LayerSpec, in [3]int, _ int) ([3]int, error) { return in, nil },
	build: buildWith(buildReLU[float32], buildReLU[float64]),
})

// buildReLU adds a ReLU, unless a max pool follows: that pool applies it
// (see poolLayer.relu).
func buildReLU[T Float](b *builder[T], _ LayerSpec) layer[T] {
	if next, ok := b.next(); ok && next.Kind == MaxPool {
		b.reluFirst = true
		return nil
	}
	return newReLULayer[T](b.in, b.needDx())
}

// reluLayer is max(0, x) elementwise; any shape (N, ...). Backward passes the
// gradient where the output is positive.
type reluLayer[T Float] struct {
	in      [3]int
	out, dx buffer[T]
	needDx  bool
}

func newReLULayer[T Float](in [3]int, needDx bool) *reluLayer[T] {
	return &reluLayer[T]{in: in, needDx: needDx}
}

func (l *reluLayer[T]) params() []*Param[T] { return nil }

func (l *reluLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(ReLU, x, l.in)
	out := l.out.resize(n, l.in[0], l.in[1], l.in[2])
	for i, v := range x.Data {
		out.Data[i] = max(v, 0)
	}
	return out
}

func (l *reluLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(ReLU, dout, &l.out.Tensor)
	if !l.needDx {
		return nil
	}
	out := l.out.Data
	dx := l.dx.resize(l.out.Shape[0], l.in[0], l.in[1], l.in[2])
	if unsafe.Sizeof(T(0)) == 4 {
		reluMask(bitsOf[T, uint32](dx.Data), bitsOf[T, uint32](dout.Data), bitsOf[T, uint32](out))
	} else {
		reluMask(bitsOf[T, uint64](dx.Data), bitsOf[T, uint64](dout.Data), bitsOf[T, uint64](out))
	}
	return dx
}

// reluMask sets d[i] = g[i] where out[i] > 0 and 0 elsewhere, on the bit
// patterns of the floats. A ReLU output is +0 or positive, so "> 0" is
// "bits ≠ 0", which compiles to a conditional move; the float comparison
// compiles to a branch that mispredicts on half of the random signs.
func reluMask[U uint32 | uint64](d, g, out []U) {
	out, d = out[:len(g)], d[:len(g)]
	for i, v := range g {
		var m U
		if out[i] != 0 {
			m = ^U(0)
		}
		d[i] = v & m
	}
}

// bitsOf reinterprets a float slice as the unsigned integers of its bits; U
// must have the size of T.
func bitsOf[T Float, U uint32 | uint64](s []T) []U {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*U)(unsafe.Pointer(&s[0])), len(s))
}
