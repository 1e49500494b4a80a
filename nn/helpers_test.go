package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// linspace is numpy's linspace(lo, hi, n) reshaped to shape.
func linspace[T Float](lo, hi float64, shape ...int) *Tensor[T] {
	t := NewTensor[T](shape...)
	n := len(t.Data)
	for i := range t.Data {
		t.Data[i] = T(lo + (hi-lo)*float64(i)/float64(n-1))
	}
	return t
}

// randn is a tensor of N(0, 1) draws of rng.
func randn[T Float](rng *rand.Rand, shape ...int) *Tensor[T] {
	t := NewTensor[T](shape...)
	fillNormal(t.Data, 1, rng)
	return t
}

func newParam[T Float](name string, v *Tensor[T]) *Param[T] {
	return &Param[T]{Name: name, Value: v, Grad: NewTensor[T](v.Shape...), Decay: name[0] == 'W'}
}

// maxRelErr is the largest elementwise |a-b| / max(|a|+|b|, 1e-12).
func maxRelErr[T Float](a, b []T) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, relErr(float64(a[i]), float64(b[i])))
	}
	return worst
}

// checkLayerGrad compares a layer's backward with centred differences of
// L = Σ forward(x)·dout for a random dout, for the input and every parameter.
func checkLayerGrad(t *testing.T, name string, l layer[float64], x *Tensor[float64], tol float64) {
	t.Helper()
	checkLayerGradStep(t, name, l, x, tol, 1e-6)
}

// checkLayerGradStep is checkLayerGrad with step h.
func checkLayerGradStep(t *testing.T, name string, l layer[float64], x *Tensor[float64], tol, h float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	out := l.forward(x, true)
	if d, ok := l.(*dropoutLayer[float64]); ok {
		d.frozen = true
	}
	dout := randn[float64](rng, out.Shape...)
	dx := l.backward(dout)
	analytic := map[string][]float64{"x": append([]float64(nil), dx.Data...)}
	for _, p := range l.params() {
		analytic[p.Name] = append([]float64(nil), p.Grad.Data...)
	}
	loss := func() float64 {
		o := l.forward(x, true)
		s := 0.0
		for i, v := range o.Data {
			s += v * dout.Data[i]
		}
		return s
	}
	numeric := func(v []float64) []float64 {
		g := make([]float64, len(v))
		for i := range v {
			old := v[i]
			v[i] = old + h
			lp := loss()
			v[i] = old - h
			lm := loss()
			v[i] = old
			g[i] = (lp - lm) / (2 * h)
		}
		return g
	}
	targets := map[string][]float64{"x": x.Data}
	for _, p := range l.params() {
		targets[p.Name] = p.Value.Data
	}
	for k, v := range targets {
		if e := maxRelErr(analytic[k], numeric(v)); !(e < tol) {
			t.Errorf("%s: d%s max relative error %.3g, want < %g", name, k, e, tol)
		} else {
			t.Logf("%s: d%s max relative error %.3g", name, k, e)
		}
	}
}
