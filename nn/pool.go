package nn

// poolLayer is max pooling over PH x PW windows moved by stride S, with no
// padding; windows that would cross the bottom or right edge are dropped.
//
// Shapes: x (N, C, H, W), out (N, C, OH, OW) with OH = (H-PH)/S + 1 and
// OW = (W-PW)/S + 1. Forward records the flat input index of each window's
// maximum (the first one on ties), and backward routes each output gradient
// to that pixel, summing where windows overlap (S < PH or S < PW).
type poolLayer[T Float] struct {
	C, H, W   int
	PH, PW, S int
	OH, OW    int
	argmax    []int32
	out, dx   buffer[T]
	n         int
	needDx    bool
}

func newPoolLayer[T Float](in [3]int, ph, pw, stride int, needDx bool) *poolLayer[T] {
	return &poolLayer[T]{C: in[0], H: in[1], W: in[2], PH: ph, PW: pw, S: stride,
		OH: (in[1]-ph)/stride + 1, OW: (in[2]-pw)/stride + 1, needDx: needDx}
}

func (l *poolLayer[T]) params() []*Param[T] { return nil }

func (l *poolLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(MaxPool, x, [3]int{l.C, l.H, l.W})
	l.n = n
	out := l.out.resize(n, l.C, l.OH, l.OW)
	l.argmax = grow(l.argmax, len(out.Data))
	o := 0
	for plane := 0; plane < n*l.C; plane++ {
		base := plane * l.H * l.W
		for oy := 0; oy < l.OH; oy++ {
			for ox := 0; ox < l.OW; ox++ {
				best := base + oy*l.S*l.W + ox*l.S
				m := x.Data[best]
				for i := 0; i < l.PH; i++ {
					r := base + (oy*l.S+i)*l.W + ox*l.S
					for j, v := range x.Data[r : r+l.PW] {
						if v > m {
							m, best = v, r+j
						}
					}
				}
				out.Data[o] = m
				l.argmax[o] = int32(best)
				o++
			}
		}
	}
	return out
}

func (l *poolLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(MaxPool, dout, &l.out.Tensor)
	if !l.needDx {
		return nil
	}
	dx := l.dx.resize(l.n, l.C, l.H, l.W)
	clear(dx.Data)
	for o, v := range dout.Data {
		dx.Data[l.argmax[o]] += v
	}
	return dx
}
