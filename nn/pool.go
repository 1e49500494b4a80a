package nn

import (
	"fmt"
	"unsafe"

	"github.com/pipe-ml/pipe/nn/kernels"
)

// MaxPool is max pooling (poolLayer).
const MaxPool LayerKind = "max_pool"

var _ = registerLayer(&LayerType{
	Kind:  MaxPool,
	Doc:   "size x size max pooling; stride None is size.",
	Args:  poolArgs,
	spec:  poolSpec,
	shape: poolShape,
	build: buildWith(buildMaxPool[float32], buildMaxPool[float64]),
})

// poolArgs are the arguments of the pooling layers: size=2, stride=None.
var poolArgs = []Arg{
	{Name: "size", Type: ArgInt, Default: "2", Min: 1, get: func(l LayerSpec) any { return l.PoolH }},
	{Name: "stride", Type: ArgInt, Default: "None", Min: 1, get: func(l LayerSpec) any { return l.PoolStride }},
}

// poolSpec makes a pooling layer's spec; stride None is the window size.
func poolSpec(a ArgValues) LayerSpec {
	size, stride := a.Int("size"), a.Int("size")
	if a.Given("stride") {
		stride = a.Int("stride")
	}
	return LayerSpec{PoolH: size, PoolW: size, PoolStride: stride}
}

// poolShape checks a pooling layer against its input: windows that would
// cross the bottom or right edge are dropped.
func poolShape(l LayerSpec, in [3]int, _ int) ([3]int, error) {
	c, h, w := in[0], in[1], in[2]
	switch {
	case l.PoolH < 1 || l.PoolW < 1:
		return in, fmt.Errorf("pool %dx%d: both sizes must be at least 1", l.PoolH, l.PoolW)
	case l.PoolStride < 1:
		return in, fmt.Errorf("pool stride %d: must be at least 1", l.PoolStride)
	case l.PoolH > h || l.PoolW > w:
		return in, fmt.Errorf("%dx%d pool larger than input %dx%d", l.PoolH, l.PoolW, h, w)
	}
	return [3]int{c, (h-l.PoolH)/l.PoolStride + 1, (w-l.PoolW)/l.PoolStride + 1}, nil
}

// buildMaxPool adds a max pool, applying the ReLU before it if there is one
// (buildReLU left it out), and lets a conv before it write its output in
// the pool's layout (convLayer.cnhw).
func buildMaxPool[T Float](b *builder[T], l LayerSpec) layer[T] {
	needDx := b.needDx()
	if b.reluFirst {
		needDx = b.i-1 > 0
	}
	pool := newPoolLayer[T](b.in, l.PoolH, l.PoolW, l.PoolStride, needDx)
	pool.relu, b.reluFirst = b.reluFirst, false
	pool.ex = b.m.ex
	if conv, ok := b.m.lastLayer().(*convLayer[T]); ok && pool.is2x2() {
		conv.cnhw, pool.cnhw = true, true // see convLayer.cnhw
	}
	return pool
}

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
	poolGeom
	relu bool
	// cnhw: the input (and dx) is laid out C x N x H x W, as a convLayer
	// with cnhw set writes it; the output stays NCHW. 2x2 stride 2 only.
	cnhw    bool
	ex      *exec // threads for the 2x2 loops; nil is one
	job     pool2x2Job[T]
	x       *Tensor[T]
	out, dx buffer[T]
	needDx  bool
}

func newPoolLayer[T Float](in [3]int, ph, pw, stride int, needDx bool) *poolLayer[T] {
	return &poolLayer[T]{poolGeom: newPoolGeom(in, ph, pw, stride), needDx: needDx}
}

// poolGeom is the geometry of a pooling layer: input (C, H, W), PH x PW
// windows moved by stride S without padding, output (C, OH, OW) with
// OH = (H-PH)/S + 1 and OW = (W-PW)/S + 1 (windows that would cross the
// bottom or right edge are dropped).
type poolGeom struct {
	C, H, W   int
	PH, PW, S int
	OH, OW    int
}

func newPoolGeom(in [3]int, ph, pw, stride int) poolGeom {
	return poolGeom{C: in[0], H: in[1], W: in[2], PH: ph, PW: pw, S: stride,
		OH: (in[1]-ph)/stride + 1, OW: (in[2]-pw)/stride + 1}
}

func (l *poolLayer[T]) params() []*Param[T] { return nil }

func (l *poolLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(MaxPool, x, [3]int{l.C, l.H, l.W})
	l.x = x
	out := l.out.resize(n, l.C, l.OH, l.OW)
	if l.is2x2() {
		l.job = pool2x2Job[T]{l: l, x: x.Data, out: out.Data}
		kernels.ParallelRange(l.ex.count(), n*l.C, 16, &l.job)
	} else {
		l.forwardAny(x, out)
	}
	return out
}

// is2x2 reports whether the layer is the common 2x2 pool with stride 2,
// which has its own loops (pool2x2Forward, pool2x2Route).
func (l *poolLayer[T]) is2x2() bool { return l.PH == 2 && l.PW == 2 && l.S == 2 }

// forwardAny is the forward pass for any window and stride.
func (l *poolLayer[T]) forwardAny(x, out *Tensor[T]) {
	n := out.Shape[0]
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
}

// pool2x2Forward is forwardAny for 2x2 windows at stride 2 over output
// planes [lo, hi) of the n·c planes of h x w (an odd last row or column is
// dropped), reading the planes in C x N order when cnhw is set, a plane at a
// time by kernels.Max2x2. max is commutative and associative (NaN if any operand is NaN, +0 above -0), so the result is
// bit-identical to forwardAny's.
func pool2x2Forward[T Float](x, out []T, n, c, h, w int, relu, cnhw bool, lo, hi int) {
	oh, ow := h/2, w/2
	o := lo * oh * ow
	for p := lo; p < hi; p++ {
		q := p
		if cnhw {
			q = p%c*n + p/c
		}
		kernels.Max2x2(x[q*h*w:(q+1)*h*w], w, out[o:], ow, oh, ow, relu)
		o += oh * ow
	}
}

func (l *poolLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(MaxPool, dout, &l.out.Tensor)
	if !l.needDx {
		return nil
	}
	dx := l.dx.resize(l.out.Shape[0], l.C, l.H, l.W)
	if l.is2x2() {
		if l.H%2 != 0 || l.W%2 != 0 {
			clear(dx.Data) // the last row or column no window covers
		}
		l.job = pool2x2Job[T]{l: l, backward: true, x: l.x.Data, out: l.out.Data, dout: dout.Data, dx: dx.Data}
		kernels.ParallelRange(l.ex.count(), l.out.Shape[0]*l.C, 16, &l.job)
		return dx
	}
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

// pool2x2Route is poolRoute for 2x2 windows at stride 2, for output planes
// [lo, hi) (with the planes of x and dx in C x N order when l.cnhw is set),
// a row of windows at a time (kernels.Route2x2, on the bits of every
// operand). The windows tile the input, so every covered pixel is written
// exactly once (the gradient or 0) and dx needs no clearing pass, except
// for the odd last row or column that no window covers (the caller clears
// those).
func pool2x2Route[T Float, U uint32 | uint64](l *poolLayer[T], x, out, dout, dx []U, lo, hi int) {
	h, w := l.H, l.W
	oh, ow := l.OH, l.OW
	o := lo * oh * ow
	n := l.out.Shape[0]
	for p := lo; p < hi; p++ {
		q := p // input plane of output plane p
		if l.cnhw {
			q = p%l.C*n + p/l.C
		}
		src := x[q*h*w : (q+1)*h*w]
		dst := dx[q*h*w : (q+1)*h*w]
		for oy := 0; oy < oh; oy++ {
			kernels.Route2x2(src[2*oy*w:][:2*ow], src[(2*oy+1)*w:][:2*ow], out[o:][:ow], dout[o:][:ow],
				dst[2*oy*w:][:2*ow], dst[(2*oy+1)*w:][:2*ow], l.relu)
			o += ow
		}
	}
}

// pool2x2Job is one pass of the 2x2 loops, cut by output planes across
// threads.
type pool2x2Job[T Float] struct {
	l        *poolLayer[T]
	backward bool
	x, out   []T
	dout, dx []T
}

func (j *pool2x2Job[T]) Range(lo, hi int) {
	l := j.l
	switch {
	case !j.backward:
		pool2x2Forward(j.x, j.out, l.out.Shape[0], l.C, l.H, l.W, l.relu, l.cnhw, lo, hi)
	case unsafe.Sizeof(T(0)) == 4:
		pool2x2Route(l, bitsOf[T, uint32](j.x), bitsOf[T, uint32](j.out), bitsOf[T, uint32](j.dout), bitsOf[T, uint32](j.dx), lo, hi)
	default:
		pool2x2Route(l, bitsOf[T, uint64](j.x), bitsOf[T, uint64](j.out), bitsOf[T, uint64](j.dout), bitsOf[T, uint64](j.dx), lo, hi)
	}
}
