package nn

import "unsafe"

// poolLayer is max pooling over PH x PW windows moved by stride S, with no
// padding; windows that would cross the bottom or right edge are dropped.
//
// Shapes: x (N, C, H, W), out (N, C, OH, OW) with OH = (H-PH)/S + 1 and
// OW = (W-PW)/S + 1. Backward routes each output gradient to the first pixel
// of its window (in row-major order) that equals the window's maximum,
// summing where windows overlap (S < PH or S < PW). Finding that pixel again
// in backward (poolRoute), rather than recording it in forward, keeps the
// forward loop a branch-free chain of max instructions and saves an index
// array.
//
// With relu set the layer is a ReLU followed by the pool, computed as the
// pool followed by a ReLU: max(relu(x)) = relu(max(x)) exactly, and a window
// whose maximum is ≤ 0 passes no gradient either way. Build fuses every ReLU
// that feeds a max pool so, which skips a pass over the larger tensor in
// both directions.
type poolLayer[T Float] struct {
	C, H, W   int
	PH, PW, S int
	OH, OW    int
	relu      bool
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
				if l.relu {
					m = max(m, 0)
				}
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
	dx := l.dx.resize(l.out.Shape[0], l.C, l.H, l.W)
	if unsafe.Sizeof(T(0)) == 4 {
		poolRoute(l, bitsOf[T, uint32](l.x.Data), bitsOf[T, uint32](l.out.Data), dout.Data, dx.Data)
	} else {
		poolRoute(l, bitsOf[T, uint64](l.x.Data), bitsOf[T, uint64](l.out.Data), dout.Data, dx.Data)
	}
	return dx
}

// poolRoute adds each output gradient dout[o] to dx at the first pixel of
// window o (row-major) equal to the window's maximum. The search compares
// bit patterns: max returns one of its arguments, so the maximum is
// bit-identical to its pixel, and integer arithmetic can find it without
// the branches of a float comparison, which mispredict on every other
// window.
func poolRoute[T Float, U uint32 | uint64](l *poolLayer[T], x, out []U, dout, dx []T) {
	clear(dx)
	shift := 8*unsafe.Sizeof(U(0)) - 1
	plane := l.H * l.W
	o := 0
	for p := 0; p < len(x)/plane; p++ {
		src := x[p*plane : (p+1)*plane]
		dst := dx[p*plane : (p+1)*plane]
		for oy := 0; oy < l.OH; oy++ {
			for ox := 0; ox < l.OW; ox++ {
				r := oy*l.S*l.W + ox*l.S
				m := out[o]
				if l.relu && m == 0 { // +0: the fused ReLU cut the window off
					o++
					continue
				}
				// Scanning backwards, the last hit is the first pixel. The
				// hit is blended in with an arithmetic mask: Go compiles
				// even an integer "if equal" to a branch here.
				at := 0
				for i := l.PH - 1; i >= 0; i-- {
					row := src[r+i*l.W : r+i*l.W+l.PW]
					for j := len(row) - 1; j >= 0; j-- {
						d := row[j] ^ m
						hit := int((d|-d)>>shift) - 1 // -1 when equal, 0 otherwise
						at ^= (at ^ (i*l.W + j)) & hit
					}
				}
				dst[r+at] += dout[o]
				o++
			}
		}
	}
}
