package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestConvForwardKnownAnswer(t *testing.T) {
	x := linspace[float64](-0.1, 0.5, 2, 3, 4, 4)
	w := newParam("W1", linspace[float64](-0.2, 0.3, 3, 3, 4, 4))
	b := newParam("b1", linspace[float64](-0.1, 0.2, 3))
	l := newConvLayer(newConvGeom([3]int{3, 4, 4}, 3, 4, 4, 2, 1), w, b, true)
	out := l.forward(x, false)
	if want := []int{2, 3, 2, 2}; fmt.Sprint(out.Shape) != fmt.Sprint(want) {
		t.Fatalf("out shape %v, want %v", out.Shape, want)
	}
	want00 := []float64{-0.08759809, -0.10987781, -0.18387192, -0.2109216}
	want12 := []float64{2.36270298, 2.36904306, 2.38090835, 2.38247847}
	if e := maxRelErr(out.Data[0:4], want00); e > 1e-6 {
		t.Errorf("out[0,0] = %v, want %v (rel err %.2g)", out.Data[0:4], want00, e)
	}
	if e := maxRelErr(out.Data[(1*3+2)*4:(1*3+2)*4+4], want12); e > 1e-6 {
		t.Errorf("out[1,2] = %v, want %v (rel err %.2g)", out.Data[20:24], want12, e)
	}
	naive := convForwardNaive(x, w.Value, b.Value, 2, 1)
	if e := maxRelErr(out.Data, naive.Data); e > 1e-12 {
		t.Errorf("im2col conv differs from naive by rel err %.2g", e)
	}
}

func TestMaxPoolKnownAnswer(t *testing.T) {
	x := linspace[float64](-0.3, 0.4, 2, 3, 4, 4)
	l := newPoolLayer[float64]([3]int{3, 4, 4}, 2, 2, 2, true)
	out := l.forward(x, false)
	if want := []int{2, 3, 2, 2}; fmt.Sprint(out.Shape) != fmt.Sprint(want) {
		t.Fatalf("out shape %v, want %v", out.Shape, want)
	}
	want00 := []float64{-0.26315789, -0.24842105, -0.20421053, -0.18947368}
	if e := maxRelErr(out.Data[0:4], want00); e > 1e-6 {
		t.Errorf("out[0,0] = %v, want %v (rel err %.2g)", out.Data[0:4], want00, e)
	}
	if got, want := out.Data[22:24], []float64{0.38526316, 0.4}; maxRelErr(got, want) > 1e-6 {
		t.Errorf("out[1,2] last row = %v, want %v", got, want)
	}
}

func TestConvBackwardNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		n, c, h, w, f, fh, fw, s, p int
	}{
		{2, 3, 5, 5, 2, 3, 3, 1, 1},
		{2, 2, 7, 5, 3, 3, 2, 2, 1}, // stride 2, non-square image and filter
		{1, 1, 6, 9, 2, 4, 3, 2, 0},
		{3, 2, 4, 4, 2, 1, 1, 1, 0},
		{1, 2, 5, 6, 2, 5, 3, 3, 2},
	} {
		name := fmt.Sprintf("conv %+v", c)
		x := randn[float64](rng, c.n, c.c, c.h, c.w)
		w := newParam("W", randn[float64](rng, c.f, c.c, c.fh, c.fw))
		b := newParam("b", randn[float64](rng, c.f))
		l := newConvLayer(newConvGeom([3]int{c.c, c.h, c.w}, c.f, c.fh, c.fw, c.s, c.p), w, b, true)
		checkLayerGrad(t, name, l, x, 1e-6)
	}
}

func TestPoolBackwardNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, c, h, w, ph, pw, s int }{
		{2, 3, 4, 4, 2, 2, 2},
		{2, 2, 7, 6, 3, 3, 2}, // overlapping windows: stride < size
		{1, 2, 7, 7, 2, 3, 3}, // stride > size, windows dropped at the edge
		{1, 1, 5, 8, 1, 2, 1},
	} {
		x := randn[float64](rng, c.n, c.c, c.h, c.w)
		checkLayerGrad(t, fmt.Sprintf("pool %+v", c), newPoolLayer[float64]([3]int{c.c, c.h, c.w}, c.ph, c.pw, c.s, true), x, 1e-6)
	}
}

func TestAffineReLUDropoutBackwardNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randn[float64](rng, 4, 2, 3, 5)
	in := [3]int{2, 3, 5}
	w := newParam("W", randn[float64](rng, 30, 7))
	b := newParam("b", randn[float64](rng, 7))
	checkLayerGrad(t, "affine", newAffineLayer(in, 7, w, b, true), x, 1e-6)
	checkLayerGrad(t, "relu", newReLULayer[float64](in, true), x, 1e-6)
	checkLayerGrad(t, "dropout", newDropoutLayer[float64](in, 0.3, rand.New(rand.NewPCG(1, 1)), true), x, 1e-6)
}

func TestSoftmaxLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	scores := randn[float64](rng, 5, 4)
	y := []int{0, 3, 1, 1, 2}
	d := make([]float64, 20)
	softmaxLoss(scores, y, d)
	num := make([]float64, 20)
	tmp := make([]float64, 20)
	const h = 1e-6
	for i := range scores.Data {
		old := scores.Data[i]
		scores.Data[i] = old + h
		lp := softmaxLoss(scores, y, tmp)
		scores.Data[i] = old - h
		lm := softmaxLoss(scores, y, tmp)
		scores.Data[i] = old
		num[i] = (lp - lm) / (2 * h)
	}
	if e := maxRelErr(d, num); e > 1e-6 {
		t.Errorf("softmax loss gradient max rel err %.3g, want < 1e-6", e)
	}
	// Uniform scores give ln C (0 beyond it) whatever their size.
	big := NewTensor[float64](2, 10)
	for i := range big.Data {
		big.Data[i] = 1e4
	}
	if l := softmaxLoss(big, []int{3, 9}, make([]float64, 20)); l != 0 {
		t.Errorf("loss of equal scores 1e4 = ln 10 + %v, want ln 10", l)
	}
}

func TestDropout(t *testing.T) {
	in := [3]int{1, 100, 100}
	x := NewTensor[float32](1, 1, 100, 100)
	for i := range x.Data {
		x.Data[i] = 1
	}
	l := newDropoutLayer[float32](in, 0.3, rand.New(rand.NewPCG(1, 2)), true)
	out := l.forward(x, true)
	kept, sum := 0, 0.0
	for _, v := range out.Data {
		if v != 0 {
			kept++
			if d := float64(v) - 1/0.7; d > 1e-6 || d < -1e-6 {
				t.Fatalf("kept unit = %v, want 1/(1-p) = %v", v, 1/0.7)
			}
		}
		sum += float64(v)
	}
	if frac := float64(kept) / 1e4; frac < 0.68 || frac > 0.72 {
		t.Errorf("kept fraction %.3f, want ≈ 0.7", frac)
	}
	if mean := sum / 1e4; mean < 0.97 || mean > 1.03 {
		t.Errorf("mean activation %.3f, want ≈ 1 (inverted dropout)", mean)
	}
	test := l.forward(x, false)
	for i, v := range test.Data {
		if v != 1 {
			t.Fatalf("test mode out[%d] = %v, want identity", i, v)
		}
	}
}

// TestConvFastMatchesNaive checks the im2col + GEMM conv against the naive
// loops in float32 on random shapes, forward and backward.
func TestConvFastMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 25; trial++ {
		fh, fw := 1+rng.IntN(5), 1+rng.IntN(5)
		s, p := 1+rng.IntN(3), rng.IntN(3)
		h, w := max(fh-2*p, 1)+rng.IntN(12), max(fw-2*p, 1)+rng.IntN(12)
		n, c, f := 1+rng.IntN(4), 1+rng.IntN(4), 1+rng.IntN(6)
		name := fmt.Sprintf("n%d c%d %dx%d f%d %dx%d s%d p%d", n, c, h, w, f, fh, fw, s, p)
		x := randn[float32](rng, n, c, h, w)
		wp := newParam("W", randn[float32](rng, f, c, fh, fw))
		bp := newParam("b", randn[float32](rng, f))
		l := newConvLayer(newConvGeom([3]int{c, h, w}, f, fh, fw, s, p), wp, bp, true)
		out := l.forward(x, true)
		want := convForwardNaive(x, wp.Value, bp.Value, s, p)
		if fmt.Sprint(out.Shape) != fmt.Sprint(want.Shape) {
			t.Fatalf("%s: shape %v, naive %v", name, out.Shape, want.Shape)
		}
		if e := maxAbsRel(out.Data, want.Data); e > 1e-4 {
			t.Errorf("%s: forward rel err %.3g", name, e)
		}
		dout := randn[float32](rng, out.Shape...)
		dx := l.backward(dout)
		wdx, wdw, wdb := convBackwardNaive(dout, x, wp.Value, s, p)
		for _, c := range []struct {
			what      string
			got, want []float32
		}{{"dx", dx.Data, wdx.Data}, {"dW", wp.Grad.Data, wdw.Data}, {"db", bp.Grad.Data, wdb.Data}} {
			if e := maxAbsRel(c.got, c.want); e > 1e-4 {
				t.Errorf("%s: %s rel err %.3g", name, c.what, e)
			}
		}
	}
}

// maxAbsRel is the largest |a-b| relative to the largest |b| (at least 1):
// float32 sums of terms of both signs lose digits relative to each term, not
// to their sum, so an elementwise relative error would fail on near-zero
// outputs for no fault of the kernel.
func maxAbsRel(a, b []float32) float64 {
	if len(a) != len(b) {
		return 1
	}
	scale := 1.0
	for _, v := range b {
		scale = max(scale, float64(abs(v)))
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, float64(abs(a[i]-b[i]))/scale)
	}
	return worst
}

func abs[T Float](v T) T {
	if v < 0 {
		return -v
	}
	return v
}

// TestReLUPoolFusion: a max pool with the ReLU fused in gives bit-identical
// outputs and input gradients to a ReLU layer followed by a pool layer,
// including windows of negative values, signed zeros and ties.
func TestReLUPoolFusion(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct{ h, w, ph, pw, s int }{{8, 8, 2, 2, 2}, {7, 9, 3, 2, 2}, {6, 6, 2, 3, 1}} {
		in := [3]int{3, c.h, c.w}
		x := poolInput(rng, c.h, c.w)
		relu := newReLULayer[float32](in, true)
		pool := newPoolLayer[float32](in, c.ph, c.pw, c.s, true)
		fused := newPoolLayer[float32](in, c.ph, c.pw, c.s, true)
		fused.relu = true
		want := pool.forward(relu.forward(x, true), true)
		got := fused.forward(x, true)
		dout := randn[float32](rng, want.Shape...)
		wantDx := relu.backward(pool.backward(dout))
		gotDx := fused.backward(dout)
		if i := sameBits32(got.Data, want.Data); i >= 0 {
			t.Fatalf("%+v: out[%d] = %v, unfused %v", c, i, got.Data[i], want.Data[i])
		}
		if i := sameBits32(gotDx.Data, wantDx.Data); i >= 0 {
			t.Fatalf("%+v: dx[%d] = %v, unfused %v", c, i, gotDx.Data[i], wantDx.Data[i])
		}
	}
	m, err := Build[float32](ThreeLayerConvNet(ThreeLayerConfig{}), [3]int{1, 8, 8}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.layers) != 5 {
		t.Errorf("%d layers built from 6: the ReLU before the pool was not fused", len(m.layers))
	}
	if p, ok := m.layers[1].(*poolLayer[float32]); !ok || !p.relu || !p.needDx {
		t.Errorf("layer 1 is %T, want the pool with the ReLU fused, computing dx", m.layers[1])
	}
}

// TestPool2x2MatchesGeneric checks the 2x2 stride-2 loops against the
// general ones bit for bit, with and without the fused ReLU, on even and odd
// sizes (an uncovered last row or column) and with ties and signed zeros.
func TestPool2x2MatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, c := range []struct{ h, w int }{{8, 8}, {7, 9}, {2, 2}, {5, 4}} {
		for _, relu := range []bool{false, true} {
			in := [3]int{3, c.h, c.w}
			x := poolInput(rng, c.h, c.w)
			l := newPoolLayer[float32](in, 2, 2, 2, true)
			l.relu = relu
			got := l.forward(x, true)
			want := NewTensor[float32](got.Shape...)
			l.forwardAny(x, want)
			if i := sameBits32(got.Data, want.Data); i >= 0 {
				t.Fatalf("%+v relu=%v: out[%d] = %v, generic %v", c, relu, i, got.Data[i], want.Data[i])
			}
			dout := randn[float32](rng, got.Shape...)
			gotDx := l.backward(dout)
			wantDx := make([]float32, len(gotDx.Data))
			poolRoute(l, bitsOf[float32, uint32](x.Data), bitsOf[float32, uint32](got.Data), dout.Data, wantDx)
			if i := sameBits32(gotDx.Data, wantDx); i >= 0 {
				t.Fatalf("%+v relu=%v: dx[%d] = %v, generic %v", c, relu, i, gotDx.Data[i], wantDx[i])
			}
		}
	}
}

// TestConvPoolCNHW: a conv feeding a 2x2 pool hands its output over in
// C x N order (convLayer.cnhw); the losses, gradients and scores must be
// bit-identical to the same model with that layout switched off.
func TestConvPoolCNHW(t *testing.T) {
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 5, FilterSize: 3, HiddenDim: 7, Reg: 1e-2})
	in := [3]int{2, 8, 6}
	build := func(cnhw bool) *Model[float32] {
		m, err := Build[float32](spec, in, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		c, ok1 := m.layers[0].(*convLayer[float32])
		p, ok2 := m.layers[1].(*poolLayer[float32])
		if !ok1 || !ok2 || !c.cnhw || !p.cnhw {
			t.Fatalf("layers %T, %T: the conv does not hand the pool C x N order", m.layers[0], m.layers[1])
		}
		c.cnhw, p.cnhw = cnhw, cnhw
		return m
	}
	a, b := build(true), build(false)
	for i := uint64(0); i < 2; i++ {
		x, y := RandomBatch[float32](in, 3, 4, i)
		la, lb := a.Loss(x, y), b.Loss(x, y)
		if la != lb {
			t.Fatalf("loss %v with C x N order, %v without", la, lb)
		}
		for k, p := range a.Params() {
			if i := sameBits32(p.Grad.Data, b.Params()[k].Grad.Data); i >= 0 {
				t.Fatalf("%s: gradient differs at %d", p.Name, i)
			}
		}
		if i := sameBits32(a.Scores(x).Data, b.Scores(x).Data); i >= 0 {
			t.Fatalf("scores differ at %d", i)
		}
	}
}

// poolInput is a batch of 2 images 3 x h x w for pooling tests: N(0,1)
// values with zeros, negative zeros and repeated 0.5s (ties) mixed in.
func poolInput(rng *rand.Rand, h, w int) *Tensor[float32] {
	x := randn[float32](rng, 2, 3, h, w)
	for i := range x.Data {
		switch rng.IntN(6) {
		case 0:
			x.Data[i] = 0
		case 1:
			x.Data[i] = float32(math.Copysign(0, -1))
		case 2:
			x.Data[i] = 0.5
		}
	}
	return x
}

// sameBits32 is the first index where a and b differ in bits, or -1.
func sameBits32(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestIm2colMatchesDefinition checks im2colRows (with its one-copy path
// for stride 1 and 'same' width) entry by entry against the definition of
// im2col, on shapes where filters reach past every edge, even past the
// whole image: every row whole, and spans of every length from every
// start (across image boundaries), writing exactly their own entries.
func TestIm2colMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct{ n, c, h, w, f, s, p int }{
		{2, 3, 8, 8, 7, 1, 3}, {1, 2, 3, 3, 7, 1, 3}, {2, 1, 5, 9, 3, 1, 1}, {1, 1, 4, 6, 5, 1, 2},
		{2, 2, 7, 6, 3, 2, 1}, {1, 1, 6, 5, 2, 1, 0}, {3, 1, 1, 1, 1, 1, 0}, {3, 1, 5, 5, 3, 1, 4},
	} {
		g := newConvGeom([3]int{c.c, c.h, c.w}, 1, c.f, c.f, c.s, c.p)
		x := randn[float32](rng, c.n, c.c, c.h, c.w)
		np := c.n * g.outPerImg
		want := make([]float32, g.K*np)
		for ch := 0; ch < c.c; ch++ {
			for i := 0; i < c.f; i++ {
				for j := 0; j < c.f; j++ {
					for img := 0; img < c.n; img++ {
						for oy := 0; oy < g.OH; oy++ {
							for ox := 0; ox < g.OW; ox++ {
								if iy, ix := oy*c.s+i-c.p, ox*c.s+j-c.p; iy >= 0 && iy < c.h && ix >= 0 && ix < c.w {
									want[((ch*c.f+i)*c.f+j)*np+img*g.outPerImg+oy*g.OW+ox] = x.Data[((img*c.c+ch)*c.h+iy)*c.w+ix]
								}
							}
						}
					}
				}
			}
		}
		rows := &im2colRows[float32]{&g, x.Data}
		buf := make([]float32, np+1)
		for r := 0; r < g.K; r++ {
			for c0 := 0; c0 < np; c0++ {
				for _, l := range []int{np - c0, 1, 1 + rng.IntN(np-c0)} {
					for i := range buf {
						buf[i] = float32(math.NaN()) // every entry must be written…
					}
					rows.Row(r, c0, buf[:l])
					if !math.IsNaN(float64(buf[l])) {
						t.Fatalf("%+v: Row(%d, %d, len %d) wrote past its end", c, r, c0, l) // …and no other
					}
					for q, got := range buf[:l] {
						if w := want[r*np+c0+q]; math.Float32bits(got) != math.Float32bits(w) {
							t.Fatalf("%+v: Row(%d, %d, len %d)[%d] = %v, want col[%d, %d] = %v", c, r, c0, l, q, got, r, c0+q, w)
						}
					}
				}
			}
		}
	}
}
