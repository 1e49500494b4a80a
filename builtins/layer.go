package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/pipe-ml/pipe/nn"
)

// Layer is one layer of a sequential model.
type Layer struct {
	kind string
	set  settings
	spec nn.LayerSpec
}

var _ starlark.HasAttrs = (*Layer)(nil)

func (l *Layer) String() string        { return l.set.format(l.kind) }
func (l *Layer) Type() string          { return "layer" }
func (l *Layer) Freeze()               {}
func (l *Layer) Truth() starlark.Bool  { return true }
func (l *Layer) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: layer") }
func (l *Layer) AttrNames() []string   { return attrNames(l.set.names, "kind") }

func (l *Layer) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	return equalByForm(op, l, y)
}

func (l *Layer) Attr(name string) (starlark.Value, error) {
	if name == "kind" {
		return starlark.String(l.kind), nil
	}
	v, _ := l.set.get(name)
	return v, nil
}

func convLayer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var filters, size int
	stride, pad := 1, unset
	if err := unpackArgs(b.Name(), args, kwargs,
		"filters", &filters, "size", &size, "stride?", &stride, "pad??", &pad); err != nil {
		return nil, err
	}
	if pad == unset {
		pad = (size - 1) / 2
	}
	if err := firstError(
		intAtLeast(b.Name(), "filters", filters, 1), intAtLeast(b.Name(), "size", size, 1),
		intAtLeast(b.Name(), "stride", stride, 1), intAtLeast(b.Name(), "pad", pad, 0),
	); err != nil {
		return nil, err
	}
	l := &Layer{kind: "conv", spec: nn.LayerSpec{Kind: nn.Conv, Filters: filters, FilterH: size, FilterW: size, Stride: stride, Pad: pad}}
	l.set.add("filters", starlark.MakeInt(filters))
	l.set.add("size", starlark.MakeInt(size))
	l.set.add("stride", starlark.MakeInt(stride))
	l.set.add("pad", starlark.MakeInt(pad))
	return l, nil
}

func reluLayer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpackArgs(b.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return &Layer{kind: "relu", spec: nn.LayerSpec{Kind: nn.ReLU}}, nil
}

func maxPoolLayer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	size, stride := 2, unset
	if err := unpackArgs(b.Name(), args, kwargs, "size?", &size, "stride??", &stride); err != nil {
		return nil, err
	}
	if stride == unset {
		stride = size
	}
	if err := firstError(intAtLeast(b.Name(), "size", size, 1), intAtLeast(b.Name(), "stride", stride, 1)); err != nil {
		return nil, err
	}
	l := &Layer{kind: "max_pool", spec: nn.LayerSpec{Kind: nn.MaxPool, PoolH: size, PoolW: size, PoolStride: stride}}
	l.set.add("size", starlark.MakeInt(size))
	l.set.add("stride", starlark.MakeInt(stride))
	return l, nil
}

func affineLayer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	out := unset
	if err := unpackArgs(b.Name(), args, kwargs, "out??", &out); err != nil {
		return nil, err
	}
	var outV starlark.Value = starlark.None
	if out == unset {
		out = 0 // nn: the number of classes
	} else if err := intAtLeast(b.Name(), "out", out, 1); err != nil {
		return nil, err
	} else {
		outV = starlark.MakeInt(out)
	}
	l := &Layer{kind: "affine", spec: nn.LayerSpec{Kind: nn.Affine, Out: out}}
	l.set.add("out", outV)
	return l, nil
}

func dropoutLayer(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var p float64
	if err := unpackArgs(b.Name(), args, kwargs, "p", fl(&p)); err != nil {
		return nil, err
	}
	if err := checkP(b.Name(), "p", p); err != nil {
		return nil, err
	}
	l := &Layer{kind: "dropout", spec: nn.LayerSpec{Kind: nn.Dropout, P: p}}
	l.set.add("p", starlark.Float(p))
	return l, nil
}
