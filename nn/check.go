package nn

import (
	"fmt"
	"math"
)

// ThreeLayerConvNet returns the spec of conv - relu - 2x2 max pool - affine -
// relu - affine, with dropout layers after the pool and the hidden ReLU when
// c.Dropout > 0. Zero fields take DefaultThreeLayer's values. The conv keeps
// the spatial size (stride 1, (FilterSize-1)/2 zero pixels per side), which
// needs an odd FilterSize: an even one gives a valid spec whose conv output is
// one pixel smaller, so callers that promise "same" size reject it first.
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
	layers := []LayerSpec{
		{Kind: Conv, Filters: c.NumFilters, FilterH: c.FilterSize, FilterW: c.FilterSize, Stride: 1, Pad: (c.FilterSize - 1) / 2},
		{Kind: ReLU},
		{Kind: MaxPool, PoolH: 2, PoolW: 2, PoolStride: 2},
	}
	if c.Dropout > 0 {
		layers = append(layers, LayerSpec{Kind: Dropout, P: c.Dropout})
	}
	layers = append(layers, LayerSpec{Kind: Affine, Out: c.HiddenDim}, LayerSpec{Kind: ReLU})
	if c.Dropout > 0 {
		layers = append(layers, LayerSpec{Kind: Dropout, P: c.Dropout})
	}
	layers = append(layers, LayerSpec{Kind: Affine, Out: c.NumClasses})
	return ModelSpec{Layers: layers, Init: InitNormal, WeightScale: c.WeightScale, Reg: c.Reg}
}

// Check reports whether c makes a sensible three-layer net for images of
// shape in (C, H, W) and the given number of classes: on top of
// ModelSpec.Check it rejects an even filter size (the conv could not keep the
// spatial size) and a filter larger than the image, which the "same" padding
// would otherwise accept as a window seeing mostly zeros.
func (c ThreeLayerConfig) Check(in [3]int, classes int) error {
	spec := ThreeLayerConvNet(c)
	f := spec.Layers[0].FilterH
	if f%2 == 0 {
		return fmt.Errorf("filter size %d is even: the conv keeps the spatial size only with an odd filter", f)
	}
	if f > in[1] || f > in[2] {
		return fmt.Errorf("filter size %d larger than the %dx%d input", f, in[1], in[2])
	}
	_, err := spec.Check(in, classes)
	return err
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
		shapes = append(shapes, LayerShape{Layer: i, Kind: l.Kind, Out: out})
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
	c, h, w := in[0], in[1], in[2]
	switch l.Kind {
	case Conv:
		switch {
		case l.Filters < 1:
			return in, fmt.Errorf("%d filters: need at least 1", l.Filters)
		case l.FilterH < 1 || l.FilterW < 1:
			return in, fmt.Errorf("filter %dx%d: both sizes must be at least 1", l.FilterH, l.FilterW)
		case l.Stride < 1:
			return in, fmt.Errorf("stride %d: must be at least 1", l.Stride)
		case l.Pad < 0:
			return in, fmt.Errorf("padding %d: must be ≥ 0", l.Pad)
		}
		ph, pw := h+2*l.Pad, w+2*l.Pad
		if l.FilterH > ph || l.FilterW > pw {
			return in, fmt.Errorf("%dx%d filter larger than padded input %dx%d", l.FilterH, l.FilterW, ph, pw)
		}
		return [3]int{l.Filters, (ph-l.FilterH)/l.Stride + 1, (pw-l.FilterW)/l.Stride + 1}, nil
	case MaxPool:
		switch {
		case l.PoolH < 1 || l.PoolW < 1:
			return in, fmt.Errorf("pool %dx%d: both sizes must be at least 1", l.PoolH, l.PoolW)
		case l.PoolStride < 1:
			return in, fmt.Errorf("pool stride %d: must be at least 1", l.PoolStride)
		case l.PoolH > h || l.PoolW > w:
			return in, fmt.Errorf("%dx%d pool larger than input %dx%d", l.PoolH, l.PoolW, h, w)
		}
		return [3]int{c, (h-l.PoolH)/l.PoolStride + 1, (w-l.PoolW)/l.PoolStride + 1}, nil
	case ReLU:
		return in, nil
	case Dropout:
		if !(l.P >= 0 && l.P < 1) {
			return in, fmt.Errorf("drop probability %g: must be in [0, 1)", l.P)
		}
		return in, nil
	case Affine:
		out := l.Out
		if out == 0 {
			out = classes
		}
		if out < 1 {
			return in, fmt.Errorf("%d outputs: need at least 1", l.Out)
		}
		return [3]int{out, 1, 1}, nil
	}
	return in, fmt.Errorf("unknown layer kind (known: %s, %s, %s, %s, %s)", Conv, ReLU, MaxPool, Affine, Dropout)
}
