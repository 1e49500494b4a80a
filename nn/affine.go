package nn

import "fmt"

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
	w, bias := b.newParams([]int{d, out}, d, out)
	aff := newAffineLayer(b.in, out, w, bias, b.needDx())
	aff.ex = b.m.ex
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
	gemm(l.ex, true, false, l.D, l.M, n, 1, l.x.Data, l.D, dout.Data, l.M, 0, l.w.Grad.Data, l.M)
	if !l.needDx {
		return nil
	}
	dx := l.dx.resize(n, l.in[0], l.in[1], l.in[2])
	gemm(l.ex, false, true, n, l.D, l.M, 1, dout.Data, l.M, l.w.Value.Data, l.M, 0, dx.Data, l.D)
	return dx
}
