package nn

import (
	"fmt"

	"github.com/pipe-ml/pipe/nn/kernels"
)

// Affine is a fully connected layer (affineLayer).
const Affine LayerKind = "affine"

var _ = registerLayer(&LayerType{
	Kind: Affine,
	Doc:  "Fully connected layer; out None is the number of classes (last layer only).",
	Args: []Arg{{Name: "out", Type: ArgInt, Default: "None", Min: 1, get: func(l LayerSpec) any {
		if l.Out == 0 {
			return nil
		}
		return l.Out
	}}},
	spec: func(a ArgValues) LayerSpec {
		if !a.Given("out") {
			return LayerSpec{} // Out 0: one output per class
		}
		return LayerSpec{Out: a.Int("out")}
	},
	shape: func(l LayerSpec, in [3]int, classes int) ([3]int, error) {
		out := l.Out
		if out == 0 {
			out = classes
		}
		if out < 1 {
			return in, fmt.Errorf("%d outputs: need at least 1", l.Out)
		}
		return [3]int{out, 1, 1}, nil
	},
	params: func(_ LayerSpec, in, out [3]int) float64 {
		return float64(out[0]) * (f64(float64(in[0])*float64(in[1])*float64(in[2])) + 1)
	},
	build: buildWith(buildAffine[float32], buildAffine[float64]),
})

func buildAffine[T Float](b *builder[T], _ LayerSpec) layer[T] {
	d, out := b.in[0]*b.in[1]*b.in[2], b.out()[0]
	k := len(b.m.ps)
	w, bias := b.newParams([]int{d, out}, d, out)
	w.direct = true
	aff := newAffineLayer(b.in, out, w, bias, b.needDx())
	aff.ex, aff.dw.k = b.m.ex, k
	return aff
}

// affineLayer is a fully connected layer out = x·W + b, where x (N, ...) is
// flattened to (N, D).
//
// Shapes: x (N, D) (any (N, C, H, W) with C·H·W = D), W (D, M), b (M),
// out (N, M). Backward: dW = xᵀ·dout, db = column sums of dout,
// dx = dout·Wᵀ.
type affineLayer[T Float] struct {
	in      [3]int
	D, M    int
	w, b    *Param[T]
	x       *Tensor[T]
	out, dx buffer[T]
	needDx  bool
	ex      *exec // threads for the GEMMs; nil is one
	dw      dwJob // the weight gradient applied as it is computed
}

func newAffineLayer[T Float](in [3]int, m int, w, b *Param[T], needDx bool) *affineLayer[T] {
	return &affineLayer[T]{in: in, D: in[0] * in[1] * in[2], M: m, w: w, b: b, needDx: needDx}
}

func (l *affineLayer[T]) params() []*Param[T] { return []*Param[T]{l.w, l.b} }

func (l *affineLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(Affine, x, l.in)
	l.x = x
	out := l.out.resize(n, l.M)
	bias := l.b.Value.Data
	for i := 0; i < n; i++ {
		copy(out.Data[i*l.M:(i+1)*l.M], bias)
	}
	gemm(l.ex, false, false, n, l.M, l.D, 1, x.Data, l.D, l.w.Value.Data, l.M, 1, out.Data, l.M)
	return out
}

func (l *affineLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(Affine, dout, &l.out.Tensor)
	n := l.out.Shape[0]
	db := l.b.Grad.Data
	clear(db)
	for i := 0; i < n; i++ {
		for j, v := range dout.Data[i*l.M : (i+1)*l.M] {
			db[j] += v
		}
	}
	var dx *Tensor[T]
	if l.needDx {
		dx = l.dx.resize(n, l.in[0], l.in[1], l.in[2])
	}
	if l.ex != nil && l.ex.apply != nil && l.w.direct {
		// Set only on float32 models (trainStep).
		var dx32 []float32
		if dx != nil {
			dx32 = any(dx.Data).([]float32)
		}
		l.dw.run(l.ex, any(l.x.Data).([]float32), any(dout.Data).([]float32), any(l.w.Value.Data).([]float32), dx32, l.D, l.M, n)
		return dx
	}
	if dx != nil {
		gemm(l.ex, false, true, n, l.D, l.M, 1, dout.Data, l.M, l.w.Value.Data, l.M, 0, dx.Data, l.D)
	}
	gemm(l.ex, true, false, l.D, l.M, n, 1, l.x.Data, l.D, dout.Data, l.M, 0, l.w.grad(), l.M)
	return dx
}

// dwBlock is how many elements of an affine weight one thread takes at a
// time (512 KiB of float32: the block of W read for dx and its gradient stay
// in a 1 MiB L2 cache until the update reads them; measured on Zen 5, 2^15
// and 2^16 were no faster, the smaller blocks paying more per-block GEMM
// packing).
var dwBlock = 1 << 17

// dwJob is an affine layer's backward pass through its weight W (D×M) in
// blocks of rows, with the update under way applied to each block while it
// is in cache: for rows r of a block, the input gradient's columns
// dx[:, r] = dout·W[r, :]ᵀ (read before the update changes them), then the
// weight gradient's rows dW[r, :] = x[:, r]ᵀ·dout, then the update of
// W[r, :]. The gradient is never stored whole (for the study's 8192×500
// hidden layer, 16 MB less per trial), and W passes through memory once a
// step instead of three times. Each element is the same GEMM chain as in
// the whole products, so the result is bit-identical to storing them.
type dwJob struct {
	k              int // the weight's index in the model's parameters
	a              applier
	x, dout, w, dx []float32   // dx nil: not wanted (the first layer)
	d, m, n        int         // rows, columns, batch
	threads, rows  int         // rows: of a block
	bufs           [][]float32 // one gradient block per thread
}

// run is the pass on ex's threads, applying ex.apply.
func (j *dwJob) run(ex *exec, x, dout, w, dx []float32, d, m, n int) {
	j.a, j.x, j.dout, j.w, j.dx, j.d, j.m, j.n = ex.apply, x, dout, w, dx, d, m, n
	const minWork = 1 << 18 // multiply-adds per thread, as kernels.GemmParallel's
	j.threads = min(ex.count(), d, max(1, d*m*n/minWork))
	j.rows = max(1, dwBlock/m)
	for len(j.bufs) < j.threads {
		j.bufs = append(j.bufs, nil)
	}
	for t := range j.threads {
		if len(j.bufs[t]) < j.rows*m {
			j.bufs[t] = make([]float32, j.rows*m)
		}
	}
	kernels.ParallelRange(j.threads, j.threads, 1, j)
	j.a, j.x, j.dout, j.w, j.dx = nil, nil, nil, nil, nil
}

// Range does the rows of threads lo to hi.
func (j *dwJob) Range(lo, hi int) {
	for t := lo; t < hi; t++ {
		end := j.d * (t + 1) / j.threads
		for r := j.d * t / j.threads; r < end; r += j.rows {
			nr := min(j.rows, end-r)
			if j.dx != nil {
				kernels.Gemm(false, true, j.n, nr, j.m, 1, j.dout, j.m, j.w[r*j.m:], j.m, 0, j.dx[r:], j.d)
			}
			g := j.bufs[t][:nr*j.m]
			kernels.Gemm(true, false, nr, j.m, j.n, 1, j.x[r:], j.d, j.dout, j.m, 0, g, j.m)
			j.a.apply(j.k, r*j.m, g, 1)
		}
	}
}
