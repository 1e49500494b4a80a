package nn

import (
	"fmt"
	"math"
	"strings"
)

// ThreeLayerConvNet returns the spec of conv - relu - 2x2 max pool - affine -
// relu - affine, with dropout layers after the pool and the hidden ReLU when
// c.Dropout > 0, and batch norms (momentum 0.9, eps 1e-5) after the conv and
// the hidden affine when c.BatchNorm is set. Zero fields take DefaultThreeLayer's values. The conv keeps
// the spatial size (stride 1, (FilterSize-1)/2 zero pixels per side), which
// needs an odd FilterSize: an even one gives a valid spec whose conv output is
// one pixel smaller, so callers that promise "same" size reject it first
// (ThreeLayerConfig.Check).
func ThreeLayerConvNet(c ThreeLayerConfig) ModelSpec {
	d := DefaultThreeLayer()
	if c.NumFilters == 0 {
		c.NumFilters = d.NumFilters
	}
	if c.FilterSize == 0 {
		c.FilterSize = d.FilterSize
	}
	if c.HiddenDim == 0 {
		c.HiddenDim = d.HiddenDim
	}
	if c.WeightScale == 0 {
		c.WeightScale = d.WeightScale
	}
	bn := LayerSpec{Kind: BatchNorm, Momentum: 0.9, Eps: 1e-5}
	layers := []LayerSpec{{Kind: Conv, Filters: c.NumFilters, FilterH: c.FilterSize, FilterW: c.FilterSize, Stride: 1, Pad: (c.FilterSize - 1) / 2}}
	if c.BatchNorm {
		layers = append(layers, bn)
	}
	layers = append(layers, LayerSpec{Kind: ReLU}, LayerSpec{Kind: MaxPool, PoolH: 2, PoolW: 2, PoolStride: 2})
	if c.Dropout > 0 {
		layers = append(layers, LayerSpec{Kind: Dropout, P: c.Dropout})
	}
	layers = append(layers, LayerSpec{Kind: Affine, Out: c.HiddenDim})
	if c.BatchNorm {
		layers = append(layers, bn)
	}
	layers = append(layers, LayerSpec{Kind: ReLU})
	if c.Dropout > 0 {
		layers = append(layers, LayerSpec{Kind: Dropout, P: c.Dropout})
	}
	layers = append(layers, LayerSpec{Kind: Affine, Out: c.NumClasses})
	return ModelSpec{Layers: layers, Init: InitNormal, WeightScale: c.WeightScale, Reg: c.Reg}
}

// Check rejects settings ThreeLayerConvNet would turn into a net other than
// the course's: an even filter size, with which the conv cannot keep the
// spatial size. Everything else is checked against the data by
// ModelSpec.Check.
func (c ThreeLayerConfig) Check() error {
	if c.FilterSize%2 == 0 {
		return &SettingError{Name: "filter_size", Got: c.FilterSize, Want: "an odd size (the conv keeps the spatial size with (size-1)/2 padding)"}
	}
	return nil
}

// Check computes every layer's output shape for input (C, H, W) and the given
// number of classes, or returns an error naming the first layer that does not
// fit and its sizes (e.g. `layer 0 (conv): 9x9 filter larger than padded
// input 7x7`). Layers are numbered from 0, as in Layers. It also checks the
// spec's own settings: the initialiser, a positive weight scale for "normal",
// a non-negative reg, and that the last layer is an affine producing one
// score per class.
func (s ModelSpec) Check(in [3]int, classes int) ([]LayerShape, error) {
	if in[0] < 1 || in[1] < 1 || in[2] < 1 {
		return nil, fmt.Errorf("input shape %dx%dx%d: every dimension must be at least 1", in[0], in[1], in[2])
	}
	if classes < 2 {
		return nil, fmt.Errorf("%d classes: a classifier needs at least 2", classes)
	}
	switch s.Init {
	case "", InitNormal:
		if !(s.WeightScale > 0) || math.IsInf(s.WeightScale, 0) {
			return nil, fmt.Errorf("weight_scale %g: the normal initialiser needs a positive, finite scale", s.WeightScale)
		}
	case InitHe, InitXavier:
	default:
		return nil, fmt.Errorf("unknown initialiser %q (known: %s, %s, %s)", s.Init, InitNormal, InitHe, InitXavier)
	}
	if !(s.Reg >= 0) || math.IsInf(s.Reg, 0) {
		return nil, fmt.Errorf("reg %g: must be a finite number ≥ 0", s.Reg)
	}
	if len(s.Layers) == 0 {
		return nil, fmt.Errorf("model has no layers")
	}
	shapes := make([]LayerShape, 0, len(s.Layers))
	cur := in
	for i, l := range s.Layers {
		out, err := l.outShape(cur, classes)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Kind, err)
		}
		if out[0] < 1 || out[1] < 1 || out[2] < 1 {
			return nil, fmt.Errorf("layer %d (%s): empty output %dx%dx%d from input %dx%dx%d", i, l.Kind, out[0], out[1], out[2], cur[0], cur[1], cur[2])
		}
		sh := LayerShape{Layer: i, Kind: l.Kind, Out: out}
		if p := LookupLayer(l.Kind).params; p != nil {
			sh.Params = p(l, cur, out)
		}
		shapes = append(shapes, sh)
		cur = out
	}
	last := len(s.Layers) - 1
	if s.Layers[last].Kind != Affine {
		return nil, fmt.Errorf("layer %d (%s): a model must end in the affine layer that produces the class scores", last, s.Layers[last].Kind)
	}
	if cur[0] != classes {
		return nil, fmt.Errorf("layer %d (affine): %d outputs for %d classes (out 0 means one per class)", last, cur[0], classes)
	}
	return shapes, nil
}

// outShape is the output shape of one layer for input in, or what is wrong.
func (l LayerSpec) outShape(in [3]int, classes int) ([3]int, error) {
	t := LookupLayer(l.Kind)
	if t == nil {
		return in, fmt.Errorf("unknown layer kind (known: %s)", strings.Join(LayerKinds(), ", "))
	}
	return t.shape(l, in, classes)
}
