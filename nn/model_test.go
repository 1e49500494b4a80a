package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestThreeLayerConvNetShapes(t *testing.T) {
	spec := ThreeLayerConvNet(ThreeLayerConfig{Dropout: 0.5})
	shapes, err := spec.Check([3]int{3, 32, 32}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind LayerKind
		out  [3]int
	}{
		{Conv, [3]int{32, 32, 32}}, {ReLU, [3]int{32, 32, 32}}, {MaxPool, [3]int{32, 16, 16}},
		{Dropout, [3]int{32, 16, 16}}, {Affine, [3]int{100, 1, 1}}, {ReLU, [3]int{100, 1, 1}},
		{Dropout, [3]int{100, 1, 1}}, {Affine, [3]int{10, 1, 1}},
	}
	if len(shapes) != len(want) {
		t.Fatalf("%d layers, want %d: %+v", len(shapes), len(want), shapes)
	}
	for i, w := range want {
		if shapes[i].Kind != w.kind || shapes[i].Out != w.out || shapes[i].Layer != i {
			t.Errorf("layer %d: %+v, want %v %v", i, shapes[i], w.kind, w.out)
		}
	}
	if n := len(ThreeLayerConvNet(ThreeLayerConfig{}).Layers); n != 6 {
		t.Errorf("without dropout: %d layers, want 6", n)
	}
	m, err := Build[float32](ThreeLayerConvNet(ThreeLayerConfig{HiddenDim: 500}), [3]int{1, 28, 28}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name+fmt.Sprint(p.Value.Shape))
	}
	if got, want := strings.Join(names, " "), "W1[32 1 7 7] b1[32] W2[6272 500] b2[500] W3[500 2] b3[2]"; got != want {
		t.Errorf("params %s, want %s", got, want)
	}
}

func TestCheckErrors(t *testing.T) {
	conv := func(f, k, s, p int) LayerSpec {
		return LayerSpec{Kind: Conv, Filters: f, FilterH: k, FilterW: k, Stride: s, Pad: p}
	}
	out := LayerSpec{Kind: Affine}
	for _, c := range []struct {
		name string
		spec ModelSpec
		in   [3]int
		want string
	}{
		{"filter too large", ModelSpec{Layers: []LayerSpec{conv(4, 9, 1, 1), out}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 0 (conv): 9x9 filter larger than padded input 7x7"},
		{"pool too large", ModelSpec{Layers: []LayerSpec{conv(4, 3, 1, 1), {Kind: ReLU}, {Kind: MaxPool, PoolH: 2, PoolW: 6, PoolStride: 2}, out}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 2 (max_pool): 2x6 pool larger than input 5x5"},
		{"zero stride", ModelSpec{Layers: []LayerSpec{conv(4, 3, 0, 1), out}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 0 (conv): stride 0"},
		{"bad dropout", ModelSpec{Layers: []LayerSpec{{Kind: Dropout, P: 1}, out}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 0 (dropout): drop probability 1"},
		{"unknown kind", ModelSpec{Layers: []LayerSpec{{Kind: "softmax"}, out}, WeightScale: 1}, [3]int{1, 5, 5},
			`layer 0 (softmax): unknown layer kind`},
		{"last not affine", ModelSpec{Layers: []LayerSpec{out, {Kind: ReLU}}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 1 (relu): a model must end in the affine"},
		{"wrong class count", ModelSpec{Layers: []LayerSpec{{Kind: Affine, Out: 3}}, WeightScale: 1}, [3]int{1, 5, 5},
			"layer 0 (affine): 3 outputs for 10 classes"},
		{"no weight scale", ModelSpec{Layers: []LayerSpec{out}}, [3]int{1, 5, 5}, "weight_scale 0"},
		{"bad init", ModelSpec{Layers: []LayerSpec{out}, Init: "zeros"}, [3]int{1, 5, 5}, `unknown initialiser "zeros"`},
		{"negative reg", ModelSpec{Layers: []LayerSpec{out}, WeightScale: 1, Reg: -1}, [3]int{1, 5, 5}, "reg -1"},
		{"no layers", ModelSpec{WeightScale: 1}, [3]int{1, 5, 5}, "no layers"},
		{"empty input", ModelSpec{Layers: []LayerSpec{out}, WeightScale: 1}, [3]int{1, 0, 5}, "input shape 1x0x5"},
	} {
		_, err := c.spec.Check(c.in, 10)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if _, err := Build[float32](c.spec, c.in, 10, 0); err == nil {
			t.Errorf("%s: Build accepted the spec", c.name)
		}
	}
	if _, err := (ModelSpec{Layers: []LayerSpec{conv(2, 3, 2, 0), {Kind: Affine, Out: 10}}, Init: InitHe}).Check([3]int{2, 3, 3}, 10); err != nil {
		t.Errorf("valid spec rejected: %v", err)
	}
}

func TestThreeLayerConfigCheck(t *testing.T) {
	for _, c := range []struct {
		cfg  ThreeLayerConfig
		in   [3]int
		want string
	}{
		{ThreeLayerConfig{FilterSize: 9}, [3]int{1, 7, 7}, "layer 0 (conv): 9x9 filter larger than its 7x7 input"},
		{ThreeLayerConfig{Dropout: 1}, [3]int{1, 28, 28}, "layer 3 (dropout): drop probability 1"},
		{ThreeLayerConfig{HiddenDim: -3}, [3]int{1, 28, 28}, "layer 3 (affine): -3 outputs"},
		{ThreeLayerConfig{FilterSize: 1}, [3]int{1, 1, 1}, "layer 2 (max_pool): 2x2 pool larger than input 1x1"},
	} {
		if _, err := ThreeLayerConvNet(c.cfg).Check(c.in, 10); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %v: error %v, want one containing %q", c.cfg, c.in, err, c.want)
		}
	}
	if err := (ThreeLayerConfig{FilterSize: 4}).Check(); err == nil || err.Error() != "for parameter filter_size: got 4, want an odd size (the conv keeps the spatial size with (size-1)/2 padding)" {
		t.Errorf("even filter size: %v", err)
	}
	if err := DefaultThreeLayer().Check(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
	if _, err := ThreeLayerConvNet(DefaultThreeLayer()).Check([3]int{1, 28, 28}, 2); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}

func TestInitialisers(t *testing.T) {
	for _, c := range []struct {
		init Init
		std  float64 // of W2, fan-in 8·16·16 = 2048
	}{{InitNormal, 0.05}, {InitHe, math.Sqrt(2.0 / 2048)}, {InitXavier, math.Sqrt(1.0 / 2048)}} {
		spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 8, FilterSize: 3, HiddenDim: 50})
		spec.Init, spec.WeightScale = c.init, 0.05
		m, err := Build[float64](spec, [3]int{3, 32, 32}, 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		w2 := m.Params()[2].Value.Data
		var ss float64
		for _, v := range w2 {
			ss += v * v
		}
		if got := math.Sqrt(ss / float64(len(w2))); math.Abs(got/c.std-1) > 0.02 {
			t.Errorf("%s: std of W2 %.4g, want %.4g", c.init, got, c.std)
		}
		for _, v := range m.Params()[3].Value.Data {
			if v != 0 {
				t.Fatalf("%s: bias not zero", c.init)
			}
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 4, FilterSize: 3, HiddenDim: 10})
	a, _ := Build[float32](spec, [3]int{1, 8, 8}, 3, 42)
	b, _ := Build[float32](spec, [3]int{1, 8, 8}, 3, 42)
	c, _ := Build[float32](spec, [3]int{1, 8, 8}, 3, 43)
	same, differ := true, false
	for i, p := range a.Params() {
		for j, v := range p.Value.Data {
			same = same && v == b.Params()[i].Value.Data[j]
			differ = differ || v != c.Params()[i].Value.Data[j]
		}
	}
	if !same || !differ {
		t.Errorf("same seed gives same weights: %v; another seed differs: %v", same, differ)
	}
}

// TestInitialLoss is the course's sanity check: the default net on 50
// random N(0,1) 3x32x32 images with random labels of 10 classes.
func TestInitialLoss(t *testing.T) {
	for _, c := range []struct{ reg, want, tol float64 }{{0, math.Log(10), 0.003}, {0.5, 2.508, 0.01}} {
		l, err := InitialLoss(ThreeLayerConvNet(ThreeLayerConfig{Reg: c.reg}), [3]int{3, 32, 32}, 10, 50, 0)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(l-c.want) > c.tol {
			t.Errorf("initial loss with reg %g = %.5f, want %.4f ± %g", c.reg, l, c.want, c.tol)
		} else {
			t.Logf("initial loss with reg %g: %.5f", c.reg, l)
		}
	}
	if _, err := InitialLoss(ThreeLayerConvNet(ThreeLayerConfig{FilterSize: 1}), [3]int{3, 1, 1}, 10, 50, 0); err == nil || !strings.Contains(err.Error(), "layer 2 (max_pool)") {
		t.Errorf("2x2 pool on 1x1 images: %v", err)
	}
}

// TestCourseGradCheck is the course's gradient check: 2 inputs 3x16x16, 3
// filters 3x3, hidden 7, 10 classes, float64.
func TestCourseGradCheck(t *testing.T) {
	for _, c := range []struct {
		ws, reg, dropout float64
	}{{1e-3, 0, 0}, {1e-2, 0, 0}, {1e-2, 0.5, 0}, {1e-2, 0.1, 0.3}} {
		spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 3, FilterSize: 3, HiddenDim: 7, WeightScale: c.ws, Reg: c.reg, Dropout: c.dropout})
		errs, err := CheckGradients(spec, [3]int{3, 16, 16}, 10, 2, 0, 1e-6)
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) != 6 {
			t.Fatalf("errors for %d params, want 6", len(errs))
		}
		for _, pe := range errs {
			name, e := pe.Name, pe.Err
			if !(e < 1e-5) {
				t.Errorf("weight scale %g reg %g dropout %g: %s max relative error %.3g, want < 1e-5", c.ws, c.reg, c.dropout, name, e)
			} else {
				t.Logf("weight scale %g reg %g dropout %g: %s max relative error %.3g", c.ws, c.reg, c.dropout, name, e)
			}
		}
	}
}

// TestGradCheckCatchesWrongGradient makes sure the check can fail: a
// corrupted analytic gradient must show up as a large error.
func TestGradCheckCatchesWrongGradient(t *testing.T) {
	spec := ModelSpec{Layers: []LayerSpec{{Kind: Affine, Out: 4}, {Kind: ReLU}, {Kind: Affine}}, WeightScale: 0.1}
	m, err := Build[float64](spec, [3]int{1, 2, 3}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := randn[float64](rand.New(rand.NewPCG(1, 1)), 2, 1, 2, 3)
	good := GradCheck(m, x, []int{0, 2}, 1e-6)
	if good["W1"] > 1e-6 {
		t.Fatalf("correct model: W1 error %.3g", good["W1"])
	}
	// Corrupt the backward pass by scaling the first layer's weight gradient.
	bad := &scaledGrad{layer: m.layers[0], p: m.ps[0], k: 1.01}
	m.layers[0] = bad
	if e := GradCheck(m, x, []int{0, 2}, 1e-6)["W1"]; e < 1e-3 {
		t.Errorf("gradient scaled by 1.01 passes with error %.3g", e)
	}
}

type scaledGrad struct {
	layer[float64]
	p *Param[float64]
	k float64
}

func (s *scaledGrad) backward(d *Tensor[float64]) *Tensor[float64] {
	dx := s.layer.backward(d)
	for i := range s.p.Grad.Data {
		s.p.Grad.Data[i] *= s.k
	}
	return dx
}

// TestSequentialGradCheck checks a general stack end to end in float64: two
// convs (so the second computes its input gradient), stride 2, a
// non-square input and a filter that is not square, overlapping pooling,
// dropout and He initialisation.
func TestSequentialGradCheck(t *testing.T) {
	spec := ModelSpec{Init: InitHe, Reg: 0.05, Layers: []LayerSpec{
		{Kind: Conv, Filters: 4, FilterH: 3, FilterW: 2, Stride: 2, Pad: 1},
		{Kind: ReLU},
		{Kind: MaxPool, PoolH: 3, PoolW: 2, PoolStride: 1},
		{Kind: Conv, Filters: 3, FilterH: 2, FilterW: 2, Stride: 1},
		{Kind: ReLU},
		{Kind: Affine, Out: 6},
		{Kind: ReLU},
		{Kind: Dropout, P: 0.25},
		{Kind: Affine},
	}}
	shapes, err := spec.Check([3]int{2, 11, 9}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := shapes[3].Out; got != [3]int{3, 3, 3} {
		t.Errorf("second conv output %v, want [3 3 3]", got)
	}
	errs, err := CheckGradients(spec, [3]int{2, 11, 9}, 4, 3, 5, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4"} {
		if i >= len(errs) || errs[i].Name != name || !(errs[i].Err < 1e-5) {
			t.Errorf("parameter %d: %+v, want %s with max relative error < 1e-5", i, errs, name)
			break
		}
	}
	t.Logf("errors %v", errs)
}

// TestFirstLayerSkipsInputGradient: nothing consumes the first layer's input
// gradient, so it is not computed; later layers compute theirs.
func TestFirstLayerSkipsInputGradient(t *testing.T) {
	m, err := Build[float32](ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 2, FilterSize: 3, HiddenDim: 5}), [3]int{1, 6, 6}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	x, y := RandomBatch[float32]([3]int{1, 6, 6}, 3, 4, 0)
	m.Loss(x, y)
	conv := m.layers[0].(*convLayer[float32])
	if conv.needDx || conv.dx.Data != nil || conv.dcol != nil {
		t.Errorf("first conv computed an input gradient")
	}
	if hidden := m.layers[2].(*affineLayer[float32]); hidden.dx.Data == nil {
		t.Errorf("hidden affine did not compute its input gradient")
	}
}

// TestScoresIsTestMode: Scores switches dropout off, so it is deterministic
// and equals a training forward with p = 0.
func TestScoresIsTestMode(t *testing.T) {
	cfg := ThreeLayerConfig{NumFilters: 2, FilterSize: 3, HiddenDim: 8, WeightScale: 0.5, Dropout: 0.5}
	m, _ := Build[float64](ThreeLayerConvNet(cfg), [3]int{1, 6, 6}, 3, 1)
	cfg.Dropout = 0
	plain, _ := Build[float64](ThreeLayerConvNet(cfg), [3]int{1, 6, 6}, 3, 1)
	x, y := RandomBatch[float64]([3]int{1, 6, 6}, 3, 4, 0)
	a := append([]float64(nil), m.Scores(x).Data...)
	m.Loss(x, y) // draws masks
	b := m.Scores(x).Data
	want := plain.forward(x, true).Data
	if e := maxRelErr(a, b); e != 0 {
		t.Errorf("Scores changed after a training pass (rel err %g)", e)
	}
	if e := maxRelErr(a, want); e > 1e-12 {
		t.Errorf("Scores with dropout %v, without %v", a, want)
	}
	pred := make([]int, 4)
	m.Predict(x, pred)
	for i, p := range pred {
		row := b[i*3 : i*3+3]
		for j := range row {
			if row[j] > row[p] {
				t.Errorf("image %d: predicted %d but score %d is higher", i, p, j)
			}
		}
	}
}
