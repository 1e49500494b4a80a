package nn

// poolLayer is max pooling over PH x PW windows moved by stride S, with no
// padding; windows that would cross the bottom or right edge are dropped.
//
// Shapes: x (N, C, H, W), out (N, C, OH, OW) with OH = (H-PH)/S + 1 and
// OW = (W-PW)/S + 1. Backward routes each output gradient to the first pixel
// of its window (in row-major order) that equals the window's maximum,
// summing where windows overlap (S < PH or S < PW). Finding that pixel again
// in backward, rather than recording it in forward, keeps the forward loop
// a branch-free chain of max instructions and saves an index array.
type poolLayer[T Float] struct {
	C, H, W   int
	PH, PW, S int
	OH, OW    int
	x         *Tensor[T]
	out, dx   buffer[T]
	needDx    bool
}

func newPoolLayer[T Float](in [3]int, ph, pw, stride int, needDx bool) *poolLayer[T] {
	return &poolLayer[T]{C: in[0], H: in[1], W: in[2], PH: ph, PW: pw, S: stride,
		OH: (in[1]-ph)/stride + 1, OW: (in[2]-pw)/stride + 1, needDx: needDx}
}

func (l *poolLayer[T]) params() []*Param[T] { return nil }

func (l *poolLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(MaxPool, x, [3]int{l.C, l.H, l.W})
	l.x = x
	out := l.out.resize(n, l.C, l.OH, l.OW)
	o := 0
	for plane := 0; plane < n*l.C; plane++ {
		src := x.Data[plane*l.H*l.W : (plane+1)*l.H*l.W]
		for oy := 0; oy < l.OH; oy++ {
			for ox := 0; ox < l.OW; ox++ {
				r := oy*l.S*l.W + ox*l.S
				m := src[r]
				for i := 0; i < l.PH; i++ {
					for _, v := range src[r+i*l.W : r+i*l.W+l.PW] {
						m = max(m, v)
					}
				}
				out.Data[o] = m
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
	n := l.out.Shape[0]
	dx := l.dx.resize(n, l.C, l.H, l.W)
	clear(dx.Data)
	o := 0
	for plane := 0; plane < n*l.C; plane++ {
		src := l.x.Data[plane*l.H*l.W : (plane+1)*l.H*l.W]
		dst := dx.Data[plane*l.H*l.W : (plane+1)*l.H*l.W]
		for oy := 0; oy < l.OH; oy++ {
			for ox := 0; ox < l.OW; ox++ {
				r := oy*l.S*l.W + ox*l.S
				m, g := l.out.Data[o], dout.Data[o]
				o++
				// The first pixel equal to the maximum: scanning backwards,
				// the last hit wins, so the loop has no early exit.
				at := 0
				for i := l.PH - 1; i >= 0; i-- {
					row := src[r+i*l.W : r+i*l.W+l.PW]
					for j := len(row) - 1; j >= 0; j-- {
						k := i*l.W + j
						if row[j] == m {
							at = k
						}
					}
				}
				dst[r+at] += g
			}
		}
	}
	return dx
}
