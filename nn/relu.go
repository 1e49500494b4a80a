package nn

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
	for i, v := range dout.Data {
		if out[i] > 0 {
			dx.Data[i] = v
		} else {
			dx.Data[i] = 0
		}
	}
	return dx
}
