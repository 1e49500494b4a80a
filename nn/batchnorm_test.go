package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// newBatchNorm builds a batch norm layer for input in through the registry.
func newBatchNorm[T Float](t *testing.T, in [3]int) *batchNormLayer[T] {
	t.Helper()
	spec := ModelSpec{Layers: []LayerSpec{{Kind: BatchNorm, Momentum: 0.9, Eps: 1e-5}, {Kind: Affine}}, WeightScale: 1e-2}
	m, err := Build[T](spec, in, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	bn := m.layers[0].(*batchNormLayer[T])
	bn.needDx = true
	return bn
}

// channelStats are the mean and (biased) standard deviation of every channel
// of x (N, C, H, W).
func channelStats(x *Tensor[float64]) (mean, std []float64) {
	n, c, hw := x.Shape[0], x.Shape[1], x.Shape[2]*x.Shape[3]
	mean, std = make([]float64, c), make([]float64, c)
	for ch := range c {
		var s, ss float64
		for i := range n {
			for _, v := range x.Data[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += v
				ss += v * v
			}
		}
		m := float64(n * hw)
		mean[ch] = s / m
		std[ch] = math.Sqrt(ss/m - mean[ch]*mean[ch])
	}
	return mean, std
}

// scaled is N(mu, sigma²) data of the given shape.
func scaled(rng *rand.Rand, mu, sigma float64, shape ...int) *Tensor[float64] {
	x := randn[float64](rng, shape...)
	for i := range x.Data {
		x.Data[i] = mu + sigma*x.Data[i]
	}
	return x
}

// TestBatchNormTrainForward is CS231n's check: after a training-mode forward
// on N(5, 4²) data each channel has mean ≈ 0 and std ≈ 1, and with γ and β
// set, mean ≈ β and std ≈ γ.
func TestBatchNormTrainForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range [][3]int{{3, 1, 1}, {3, 4, 5}} { // per feature (after an affine), spatial
		bn := newBatchNorm[float64](t, in)
		x := scaled(rng, 5, 4, 200, in[0], in[1], in[2])
		mean, std := channelStats(bn.forward(x, true))
		for ch := range in[0] {
			if math.Abs(mean[ch]) > 1e-9 || math.Abs(std[ch]-1) > 1e-5 {
				t.Errorf("%v channel %d: mean %.3g std %.6f, want 0 and 1", in, ch, mean[ch], std[ch])
			}
		}
		copy(bn.gamma.Value.Data, []float64{1, 2, 3})
		copy(bn.beta.Value.Data, []float64{11, 12, 13})
		mean, std = channelStats(bn.forward(x, true))
		for ch := range in[0] {
			if math.Abs(mean[ch]-float64(11+ch)) > 1e-9 || math.Abs(std[ch]-float64(1+ch)) > 1e-4 {
				t.Errorf("%v channel %d with γ, β set: mean %.6f std %.6f, want %d and %d", in, ch, mean[ch], std[ch], 11+ch, 1+ch)
			}
		}
	}
}

// TestBatchNormRunningAverages: after many training batches of N(5, 4²) data
// the running averages reach the data's statistics (the variance is the
// batches' biased one, (m-1)/m·16), and a test-mode forward on fresh data
// has per-channel mean ≈ 0 and std ≈ 1, as in CS231n's notebook.
func TestBatchNormRunningAverages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := [3]int{3, 2, 2}
	bn := newBatchNorm[float64](t, in)
	const batch = 50
	for range 200 {
		bn.forward(scaled(rng, 5, 4, batch, in[0], in[1], in[2]), true)
	}
	m := float64(batch * in[1] * in[2])
	for ch := range in[0] {
		mu, v := bn.runMean.Value.Data[ch], bn.runVar.Value.Data[ch]
		if math.Abs(mu-5) > 0.2 || math.Abs(v-16*(m-1)/m) > 1.5 {
			t.Errorf("channel %d: running mean %.3f var %.3f, want ≈ 5 and ≈ %.2f", ch, mu, v, 16*(m-1)/m)
		} else {
			t.Logf("channel %d: running mean %.3f var %.3f", ch, mu, v)
		}
	}
	mean, std := channelStats(bn.forward(scaled(rng, 5, 4, 500, in[0], in[1], in[2]), false))
	for ch := range in[0] {
		if math.Abs(mean[ch]) > 0.1 || math.Abs(std[ch]-1) > 0.1 {
			t.Errorf("test mode, channel %d: mean %.3f std %.3f, want ≈ 0 and ≈ 1", ch, mean[ch], std[ch])
		}
	}
}

// TestBatchNormBackwardNumeric checks dx, dγ and dβ against centred
// differences in float64, per feature and spatially, with γ and β away from
// their initial values. The step is 1e-4: the inputs are N(5, 4²), and at
// 1e-6 rounding in the loss (|L| ≈ 10) swamps the small elements of dx,
// whose terms nearly cancel (Σ dx = 0 per channel).
func TestBatchNormBackwardNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ n, c, h, w int }{{6, 4, 1, 1}, {3, 3, 4, 5}, {2, 2, 3, 3}} {
		in := [3]int{c.c, c.h, c.w}
		bn := newBatchNorm[float64](t, in)
		for i := range bn.gamma.Value.Data {
			bn.gamma.Value.Data[i] = 1 + rng.NormFloat64()
			bn.beta.Value.Data[i] = rng.NormFloat64()
		}
		x := scaled(rng, 5, 4, c.n, c.c, c.h, c.w)
		checkLayerGradStep(t, fmt.Sprintf("batchnorm %+v", c), bn, x, 1e-6, 1e-4)
	}
}

// TestBatchNormModelGradCheck: conv - batchnorm - relu - pool - affine -
// batchnorm - relu - affine passes the model's gradient check in float64,
// γ and β included, and they are not regularised. The biases b1 and b2 feed
// a batch norm, which subtracts them again: their gradient is zero, so they
// are checked to be (their relative error compares rounding noise).
func TestBatchNormModelGradCheck(t *testing.T) {
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 3, FilterSize: 3, HiddenDim: 7, WeightScale: 1e-2, Reg: 0.5, BatchNorm: true})
	errs, err := CheckGradients(spec, [3]int{3, 8, 8}, 10, 4, 0, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"}
	if len(errs) != len(want) {
		t.Fatalf("checked %v, want %v", errs, want)
	}
	m, _ := Build[float64](spec, [3]int{3, 8, 8}, 10, 0)
	x, y := RandomBatch[float64]([3]int{3, 8, 8}, 10, 4, 0)
	m.Loss(x, y)
	for i, e := range errs {
		if e.Name == "b1" || e.Name == "b2" {
			for _, g := range m.Params()[map[string]int{"b1": 1, "b2": 7}[e.Name]].Grad.Data {
				if math.Abs(g) > 1e-12 {
					t.Errorf("%s before a batch norm: gradient %.3g, want 0", e.Name, g)
				}
			}
			continue
		}
		if e.Name != want[i] || !(e.Err < 1e-6) {
			t.Errorf("%s: max relative error %.3g, want %s < 1e-6", e.Name, e.Err, want[i])
		} else {
			t.Logf("%s: max relative error %.3g", e.Name, e.Err)
		}
	}
	for _, p := range m.Params() {
		if p.Decay && p.Name[0] != 'W' {
			t.Errorf("%s is regularised", p.Name)
		}
	}
}

// TestBatchNormContinues: a batch-norm net trained 2 epochs and continued
// to 4 from its State gives the 4-epoch run's Result and final State bit
// for bit — the running averages travel in the State with the weights —
// and the optimiser leaves them alone (they move only in training-mode
// forward passes).
func TestBatchNormContinues(t *testing.T) {
	sp := stripeSplits(t)
	spec := ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 4, FilterSize: 3, HiddenDim: 16, WeightScale: 1e-1, Reg: 1e-3, BatchNorm: true})
	cfg := TrainConfig{Optimizer: OptimizerSpec{Name: "adam", LR: 1e-2}, Epochs: 4, BatchSize: 32, Seed: 5, AccSamples: 50}
	ctx := context.Background()
	want, _, wantSt, err := Train(ctx, spec, sp, cfg, Run{})
	if err != nil {
		t.Fatal(err)
	}
	short := cfg
	short.Epochs = 2
	_, _, st, err := Train(ctx, spec, sp, short, Run{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, gotSt, err := Train(ctx, spec, sp, cfg, Run{From: st})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotSt, wantSt) {
		t.Errorf("continued run differs:\n got %+v\nwant %+v", got, want)
	}
	if want.TestAcc < 0.7 {
		t.Errorf("test accuracy %.3f: the batch-norm net did not learn the stripes", want.TestAcc)
	}
	// The running averages moved away from their start (mean 0, variance 1).
	m, _ := Build[float32](spec, [3]int{1, 8, 8}, 2, 0)
	for i, p := range m.Params() {
		if p.Buffer && slices.Equal(wantSt.Params[i], p.Value.Data) {
			t.Errorf("%s did not move in training", p.Name)
		}
	}
}
