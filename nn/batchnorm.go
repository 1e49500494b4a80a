package nn

import (
	"fmt"
	"math"
	"strconv"
)

// BatchNorm is batch normalisation (batchNormLayer).
const BatchNorm LayerKind = "batchnorm"

var _ = registerLayer(&LayerType{
	Kind: BatchNorm,
	Doc: "Batch normalisation of each channel (spatial after a conv, per feature after an\n" +
		"    affine): batch statistics in training, running averages (kept with momentum)\n" +
		"    at test time; learned scale gamma and shift beta, not regularised.",
	Args: []Arg{
		{Name: "momentum", Type: ArgProb, Default: "0.9", get: func(l LayerSpec) any { return l.Momentum }},
		{Name: "eps", Type: ArgPositive, Default: "1e-5", get: func(l LayerSpec) any { return l.Eps }},
	},
	spec: func(a ArgValues) LayerSpec { return LayerSpec{Momentum: a.Float("momentum"), Eps: a.Float("eps")} },
	shape: func(l LayerSpec, in [3]int, _ int) ([3]int, error) {
		if !(l.Momentum >= 0 && l.Momentum < 1) {
			return in, fmt.Errorf("momentum %g: must be in [0, 1)", l.Momentum)
		}
		if !(l.Eps > 0) || math.IsInf(l.Eps, 0) {
			return in, fmt.Errorf("eps %g: must be positive and finite", l.Eps)
		}
		return in, nil
	},
	params: func(_ LayerSpec, in, _ [3]int) float64 { return 4 * float64(in[0]) }, // γ, β and the two running averages
	build:  buildWith(buildBatchNorm[float32], buildBatchNorm[float64]),
})

// buildBatchNorm adds γ (ones) and β (zeros) as the k-th gamma/beta, and
// the running mean (zeros) and variance (ones) as buffers.
func buildBatchNorm[T Float](b *builder[T], l LayerSpec) layer[T] {
	b.normed++
	k := strconv.Itoa(b.normed)
	c := b.in[0]
	p := func(name string, fill T, buffer bool) *Param[T] {
		v := NewTensor[T](c)
		for i := range v.Data {
			v.Data[i] = fill
		}
		p := &Param[T]{Name: name + k, Value: v, Grad: NewTensor[T](c), Buffer: buffer}
		b.m.ps = append(b.m.ps, p)
		return p
	}
	bn := &batchNormLayer[T]{in: b.in, momentum: l.Momentum, eps: l.Eps, needDx: b.needDx()}
	bn.gamma, bn.beta = p("gamma", 1, false), p("beta", 0, false)
	bn.runMean, bn.runVar = p("running_mean", 0, true), p("running_var", 1, true)
	return bn
}

// batchNormLayer normalises each channel c of x (N, C, H, W) over the N·H·W
// values it has in the batch — CS231n's spatial batch norm, which for an
// affine's output (N, D, 1, 1) is the plain per-feature one:
//
//	out = γ_c · (x - μ_c) / √(σ²_c + eps) + β_c
//
// In training μ and σ² are the batch's mean and (biased) variance, and the
// running averages move towards them: run = momentum·run + (1-momentum)·batch.
// At test time the running averages stand in for them. Sums run in float64,
// and every product is rounded before it is added (T(), f64: never fused
// into an FMA), so the bits are the same on every machine.
//
// Backward (training mode), with x̂ the normalised input and m = N·H·W:
// dγ = Σ dout·x̂, dβ = Σ dout, dx = γ/(m·√(σ²+eps)) · (m·dout - dβ - x̂·dγ).
type batchNormLayer[T Float] struct {
	in              [3]int
	momentum, eps   float64
	gamma, beta     *Param[T]
	runMean, runVar *Param[T] // buffers
	xhat            []T       // normalised input of the last training forward
	invStd          []float64 // 1/√(σ²+eps) per channel, same
	out, dx         buffer[T]
	needDx          bool
}

func (l *batchNormLayer[T]) params() []*Param[T] {
	return []*Param[T]{l.gamma, l.beta, l.runMean, l.runVar}
}

func (l *batchNormLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	n := batchOf(BatchNorm, x, l.in)
	c, hw := l.in[0], l.in[1]*l.in[2]
	out := l.out.resize(n, l.in[0], l.in[1], l.in[2])
	if !train {
		for ch := range c {
			inv := 1 / math.Sqrt(float64(l.runVar.Value.Data[ch])+l.eps)
			scale := T(float64(l.gamma.Value.Data[ch]) * inv)
			shift := l.beta.Value.Data[ch] - T(T(float64(l.runMean.Value.Data[ch]))*scale)
			for i := range n {
				o := (i*c + ch) * hw
				for j, v := range x.Data[o : o+hw] {
					out.Data[o+j] = T(v*scale) + shift
				}
			}
		}
		return out
	}
	m := float64(n * hw)
	l.xhat = grow(l.xhat, len(x.Data))
	if len(l.invStd) != c {
		l.invStd = make([]float64, c)
	}
	for ch := range c {
		var sum float64
		for i := range n {
			o := (i*c + ch) * hw
			for _, v := range x.Data[o : o+hw] {
				sum += float64(v)
			}
		}
		mean := sum / m
		var ss float64
		for i := range n {
			o := (i*c + ch) * hw
			for _, v := range x.Data[o : o+hw] {
				d := float64(v) - mean
				ss += f64(d * d)
			}
		}
		variance := ss / m
		inv := 1 / math.Sqrt(variance+l.eps)
		l.invStd[ch] = inv
		g, b := l.gamma.Value.Data[ch], l.beta.Value.Data[ch]
		for i := range n {
			o := (i*c + ch) * hw
			for j, v := range x.Data[o : o+hw] {
				xh := T((float64(v) - mean) * inv)
				l.xhat[o+j] = xh
				out.Data[o+j] = T(g*xh) + b
			}
		}
		rm, rv := &l.runMean.Value.Data[ch], &l.runVar.Value.Data[ch]
		*rm = T(f64(l.momentum*float64(*rm)) + f64((1-l.momentum)*mean))
		*rv = T(f64(l.momentum*float64(*rv)) + f64((1-l.momentum)*variance))
	}
	return out
}

func (l *batchNormLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	sameShape(BatchNorm, dout, &l.out.Tensor)
	n := dout.Shape[0]
	c, hw := l.in[0], l.in[1]*l.in[2]
	m := float64(n * hw)
	var dx *Tensor[T]
	if l.needDx {
		dx = l.dx.resize(n, l.in[0], l.in[1], l.in[2])
	}
	for ch := range c {
		var dg, db float64
		for i := range n {
			o := (i*c + ch) * hw
			for j, d := range dout.Data[o : o+hw] {
				dg += f64(float64(d) * float64(l.xhat[o+j]))
				db += float64(d)
			}
		}
		l.gamma.Grad.Data[ch], l.beta.Grad.Data[ch] = T(dg), T(db)
		if dx == nil {
			continue
		}
		k := float64(l.gamma.Value.Data[ch]) * l.invStd[ch] / m
		for i := range n {
			o := (i*c + ch) * hw
			for j, d := range dout.Data[o : o+hw] {
				dx.Data[o+j] = T(k * (f64(m*float64(d)) - db - f64(float64(l.xhat[o+j])*dg)))
			}
		}
	}
	if dx == nil {
		return nil
	}
	return dx
}
