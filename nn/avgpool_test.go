package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAvgPoolKnownAnswer: 2x2 windows of stride 2 over a 4x4 ramp, and
// overlapping 3x3 windows of stride 1, against sums worked out by hand.
func TestAvgPoolKnownAnswer(t *testing.T) {
	x := NewTensor[float64](1, 1, 4, 4)
	for i := range x.Data {
		x.Data[i] = float64(i) // rows 0..3, 4..7, 8..11, 12..15
	}
	out := newAvgPoolLayer[float64]([3]int{1, 4, 4}, 2, 2, 2, true).forward(x, true)
	if got, want := fmt.Sprint(out.Data), fmt.Sprint([]float64{2.5, 4.5, 10.5, 12.5}); got != want {
		t.Errorf("2x2 stride 2: %s, want %s", got, want)
	}
	out = newAvgPoolLayer[float64]([3]int{1, 4, 4}, 3, 3, 1, true).forward(x, true)
	if got, want := fmt.Sprint(out.Data), fmt.Sprint([]float64{5, 6, 9, 10}); got != want {
		t.Errorf("3x3 stride 1: %s, want %s", got, want)
	}
}

// TestAvgPoolBackwardNumeric checks dx against centred differences for
// every window of 1 to 3 pixels a side and strides 1 to 3 on a 7x6 input:
// overlapping windows (stride < size) and windows dropped at the edge.
func TestAvgPoolBackwardNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := randn[float64](rng, 2, 2, 7, 6)
	for ph := 1; ph <= 3; ph++ {
		for pw := 1; pw <= 3; pw++ {
			for s := 1; s <= 3; s++ {
				l := newAvgPoolLayer[float64]([3]int{2, 7, 6}, ph, pw, s, true)
				checkLayerGrad(t, fmt.Sprintf("avg_pool %dx%d stride %d", ph, pw, s), l, x, 1e-6)
			}
		}
	}
}

// TestAvgPoolInModel: a model with an average pool passes the course's
// gradient check end to end.
func TestAvgPoolInModel(t *testing.T) {
	spec := ModelSpec{Layers: []LayerSpec{
		{Kind: Conv, Filters: 3, FilterH: 3, FilterW: 3, Stride: 1, Pad: 1}, {Kind: ReLU},
		{Kind: AvgPool, PoolH: 2, PoolW: 2, PoolStride: 2}, {Kind: Affine},
	}, Init: InitNormal, WeightScale: 1e-2}
	errs, err := CheckGradients(spec, [3]int{2, 8, 8}, 4, 2, 0, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if !(e.Err < 1e-6) {
			t.Errorf("%s: max relative error %.3g", e.Name, e.Err)
		}
	}
}
