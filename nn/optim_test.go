package nn

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestOptimizerRegistry(t *testing.T) {
	if got := strings.Join(OptimizerNames(), ","); got != "adam,rmsprop,sgd,sgd_momentum" {
		t.Errorf("names %s", got)
	}
	_, err := NewOptimizer(OptimizerSpec{Name: "adagrad", LR: 1})
	if err == nil || !strings.Contains(err.Error(), `"adagrad"`) || !strings.Contains(err.Error(), "adam, rmsprop, sgd, sgd_momentum") {
		t.Errorf("unknown name: %v", err)
	}
	for _, bad := range []OptimizerSpec{
		{Name: "sgd"}, {Name: "adam", LR: -1}, {Name: "adam", LR: 1, Beta1: Some(1)}, {Name: "sgd_momentum", LR: 1, Momentum: Some(-0.5)},
		{Name: "rmsprop", LR: 1, Eps: Some(math.Inf(1))},
	} {
		if _, err := NewOptimizer(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if got := (OptimizerSpec{Name: "adam", LR: 1e-3, Momentum: Some(0.5)}).WithDefaults(); got != (OptimizerSpec{Name: "adam", LR: 1e-3, Beta1: Some(0.9), Beta2: Some(0.999), Eps: Some(1e-8)}) {
		t.Errorf("adam defaults %+v", got)
	}
	if got := (OptimizerSpec{Name: "adam", LR: 1e-3, Beta1: Some(0)}).WithDefaults(); got.Beta1 != Some(0) {
		t.Errorf("adam beta1 set to 0 became %v", got.Beta1)
	}
}

// TestMomentumZeroIsSGD: an explicit momentum 0 is 0, not the default 0.9,
// so sgd_momentum(momentum = 0) updates exactly as plain sgd; left unset it
// is 0.9 and does not.
func TestMomentumZeroIsSGD(t *testing.T) {
	run := func(spec OptimizerSpec) []float32 {
		opt, err := NewOptimizer(spec)
		if err != nil {
			t.Fatal(err)
		}
		p := newParam("W", &Tensor[float32]{Shape: []int{2}, Data: []float32{1, -1}})
		for _, g := range [][2]float32{{0.5, -2}, {0.1, 1}, {-0.3, 0.2}} {
			p.Grad.Data[0], p.Grad.Data[1] = g[0], g[1]
			opt.Step([]*Param[float32]{p}, 0.1)
		}
		return p.Value.Data
	}
	plain := run(OptimizerSpec{Name: "sgd", LR: 0.1})
	zero := run(OptimizerSpec{Name: "sgd_momentum", LR: 0.1, Momentum: Some(0)})
	def := run(OptimizerSpec{Name: "sgd_momentum", LR: 0.1})
	if zero[0] != plain[0] || zero[1] != plain[1] {
		t.Errorf("momentum 0: %v, plain sgd: %v", zero, plain)
	}
	if def[0] == plain[0] && def[1] == plain[1] {
		t.Errorf("default momentum updates like plain sgd: %v", def)
	}
}

// TestMaybeJSON: an unset setting is left out of the JSON (trial keys of
// specs that never set it read as before), a set one, 0 included, is the
// number, and both read back as they were.
func TestMaybeJSON(t *testing.T) {
	for _, c := range []struct {
		spec OptimizerSpec
		want string
	}{
		{OptimizerSpec{Name: "sgd_momentum", LR: 0.01}, `{"name":"sgd_momentum","lr":0.01}`},
		{OptimizerSpec{Name: "sgd_momentum", LR: 0.01, Momentum: Some(0.9)}, `{"name":"sgd_momentum","lr":0.01,"momentum":0.9}`},
		{OptimizerSpec{Name: "sgd_momentum", LR: 0.01, Momentum: Some(0)}, `{"name":"sgd_momentum","lr":0.01,"momentum":0}`},
		{OptimizerSpec{Name: "adam", LR: 1e-3, Beta1: Some(0.9), Beta2: Some(0.999), Eps: Some(1e-8)}, `{"name":"adam","lr":0.001,"beta1":0.9,"beta2":0.999,"eps":1e-8}`},
	} {
		b, err := json.Marshal(c.spec)
		if err != nil || string(b) != c.want {
			t.Errorf("%+v: %s, %v; want %s", c.spec, b, err, c.want)
		}
		var back OptimizerSpec
		if err := json.Unmarshal(b, &back); err != nil || back != c.spec {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
}

// TestOptimizerSteps runs three steps of each rule on one parameter with a
// fixed gradient sequence and compares with the textbook formulas in float64.
func TestOptimizerSteps(t *testing.T) {
	grads := [][]float64{{0.5, -2}, {0.1, 1}, {-0.3, 0.2}}
	w0 := []float64{1, -1}
	const lr = 0.1
	ref := map[string]func() []float64{
		"sgd": func() []float64 {
			w := append([]float64(nil), w0...)
			for _, g := range grads {
				for i := range w {
					w[i] -= lr * g[i]
				}
			}
			return w
		},
		"sgd_momentum": func() []float64 {
			w, v := append([]float64(nil), w0...), make([]float64, 2)
			for _, g := range grads {
				for i := range w {
					v[i] = 0.9*v[i] - lr*g[i]
					w[i] += v[i]
				}
			}
			return w
		},
		"rmsprop": func() []float64 {
			w, c := append([]float64(nil), w0...), make([]float64, 2)
			for _, g := range grads {
				for i := range w {
					c[i] = 0.99*c[i] + 0.01*g[i]*g[i]
					w[i] -= lr * g[i] / (math.Sqrt(c[i]) + 1e-8)
				}
			}
			return w
		},
		"adam": func() []float64 {
			w, m, v := append([]float64(nil), w0...), make([]float64, 2), make([]float64, 2)
			for k, g := range grads {
				tt := float64(k + 1)
				for i := range w {
					m[i] = 0.9*m[i] + 0.1*g[i]
					v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
					mh, vh := m[i]/(1-math.Pow(0.9, tt)), v[i]/(1-math.Pow(0.999, tt))
					w[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
				}
			}
			return w
		},
	}
	for _, name := range OptimizerNames() {
		opt, err := NewOptimizer(OptimizerSpec{Name: name, LR: lr})
		if err != nil {
			t.Fatal(err)
		}
		p := newParam("W", &Tensor[float32]{Shape: []int{2}, Data: []float32{float32(w0[0]), float32(w0[1])}})
		for _, g := range grads {
			p.Grad.Data[0], p.Grad.Data[1] = float32(g[0]), float32(g[1])
			opt.Step([]*Param[float32]{p}, lr)
		}
		want := ref[name]()
		for i := range want {
			if math.Abs(float64(p.Value.Data[i])-want[i]) > 1e-6 {
				t.Errorf("%s: w[%d] = %v after 3 steps, want %v", name, i, p.Value.Data[i], want[i])
			}
		}
	}
}

func TestOptimizerStepAllocs(t *testing.T) {
	p := newParam("W", NewTensor[float32](100))
	for _, name := range OptimizerNames() {
		opt, _ := NewOptimizer(OptimizerSpec{Name: name, LR: 1e-3})
		ps := []*Param[float32]{p}
		opt.Step(ps, 1e-3)
		if a := testing.AllocsPerRun(10, func() { opt.Step(ps, 1e-3) }); a != 0 {
			t.Errorf("%s: %v allocations per step", name, a)
		}
	}
}

// TestTrainStepIsBitIdentical: the solver's step (the L2 term added by the
// optimiser as it reads a gradient, affine weights updated block by block
// as their gradient is computed, on any number of threads) must give
// exactly the losses and weights of Loss followed by Step, for every rule,
// and must never store an affine weight's gradient.
func TestTrainStepIsBitIdentical(t *testing.T) {
	defer func(b int) { dwBlock = b }(dwBlock)
	specs := []ModelSpec{
		ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 3, FilterSize: 3, HiddenDim: 9, WeightScale: 0.1, Reg: 0.3}),
		// An affine first layer (no dx), batch norm and dropout between.
		{Layers: []LayerSpec{{Kind: Affine, Out: 11}, {Kind: BatchNorm, Momentum: 0.9, Eps: 1e-5}, {Kind: ReLU},
			{Kind: Dropout, P: 0.3}, {Kind: Affine}}, WeightScale: 0.1, Reg: 0.2},
	}
	for si, spec := range specs {
		for _, name := range OptimizerNames() {
			for _, tc := range []struct{ threads, block int }{{1, 1 << 15}, {1, 20}, {3, 20}, {2, 9}} {
				dwBlock = tc.block
				a, err := Build[float32](spec, [3]int{2, 8, 8}, 4, 1)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := Build[float32](spec, [3]int{2, 8, 8}, 4, 1)
				b.SetThreads(tc.threads)
				oa, _ := NewOptimizer(OptimizerSpec{Name: name, LR: 1e-2})
				ob, _ := NewOptimizer(OptimizerSpec{Name: name, LR: 1e-2})
				for step := uint64(0); step < 3; step++ {
					x, y := RandomBatch[float32]([3]int{2, 8, 8}, 4, 5, step)
					la := a.Loss(x, y)
					oa.Step(a.Params(), 1e-2)
					if lb := trainStep(b, x, y, ob, 1e-2); la != lb {
						t.Errorf("model %d %s %+v step %d: loss %v vs trainStep's %v", si, name, tc, step, la, lb)
					}
				}
				for i, p := range a.Params() {
					q := b.Params()[i]
					for j, v := range p.Value.Data {
						if v != q.Value.Data[j] {
							t.Fatalf("model %d %s %+v: %s[%d] = %v, trainStep gives %v", si, name, tc, p.Name, j, v, q.Value.Data[j])
						}
					}
					affineW := si == 0 && (p.Name == "W2" || p.Name == "W3") || si == 1 && p.Name[0] == 'W'
					if q.direct != affineW || q.direct && q.Grad.Data != nil {
						t.Errorf("%s: %s direct %v with a stored gradient of %d", name, q.Name, q.direct, len(q.Grad.Data))
					}
				}
			}
		}
	}
}
