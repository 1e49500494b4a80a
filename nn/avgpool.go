package nn

// AvgPool is average pooling (avgPoolLayer).
const AvgPool LayerKind = "avg_pool"

// avg_pool shares max_pool's arguments and shape checks (pool.go).
var _ = registerLayer(&LayerType{Kind: AvgPool, Doc: "size x size average pooling; stride None is size.",
	Args: poolArgs, spec: poolSpec, shape: poolShape, build: buildWith(buildAvgPool[float32], buildAvgPool[float64])})

func buildAvgPool[T Float](b *builder[T], l LayerSpec) layer[T] {
	return newAvgPoolLayer[T](b.in, l.PoolH, l.PoolW, l.PoolStride, b.needDx())
}

// avgPoolLayer is average pooling (geometry as poolGeom's): each output is
// the mean of its window, and backward spreads each output gradient evenly
// over its window, summing where windows overlap.
//
// Shapes: x (N, C, H, W), out (N, C, OH, OW).
type avgPoolLayer[T Float] struct {
	poolGeom
	out, dx buffer[T]
	needDx  bool
}

func newAvgPoolLayer[T Float](in [3]int, ph, pw, stride int, needDx bool) *avgPoolLayer[T] {
	return &avgPoolLayer[T]{poolGeom: newPoolGeom(in, ph, pw, stride), needDx: needDx}
}

func (l *avgPoolLayer[T]) params() []*Param[T] { return nil }

// windows calls f with the index of every output of n images, in order,
// and the offsets of its window's pixels in the batch, row by row: f reads
// or writes xs[off+j] for j < PW, for each off in rows.
func (l *avgPoolLayer[T]) windows(n int, f func(o int, rows []int)) {
	rows := make([]int, l.PH)
	o := 0
	for plane := range n * l.C {
		for oy := range l.OH {
			for ox := range l.OW {
				for dy := range rows {
					rows[dy] = plane*l.H*l.W + (oy*l.S+dy)*l.W + ox*l.S
				}
				f(o, rows)
				o++
			}
		}
	}
}

func (l *avgPoolLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(AvgPool, x, [3]int{l.C, l.H, l.W})
	out := l.out.resize(n, l.C, l.OH, l.OW)
	inv := 1 / T(l.PH*l.PW)
	l.windows(n, func(o int, rows []int) {
		var s T
		for _, r := range rows {
			for _, v := range x.Data[r : r+l.PW] {
				s += v
			}
		}
		out.Data[o] = s * inv
	})
	return out
}

func (l *avgPoolLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(AvgPool, dout, &l.out.Tensor)
	if !l.needDx {
		return nil
	}
	n := dout.Shape[0]
	dx := l.dx.resize(n, l.C, l.H, l.W)
	clear(dx.Data)
	inv := 1 / T(l.PH*l.PW)
	l.windows(n, func(o int, rows []int) {
		g := T(dout.Data[o] * inv) // rounded: never fused into the sums below
		for _, r := range rows {
			for j := range l.PW {
				dx.Data[r+j] += g
			}
		}
	})
	return dx
}
