package builtins

import (
	"fmt"
	"math"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
)

// Layer is one layer of a sequential model.
type Layer struct {
	configured
	spec nn.LayerSpec
}

var _ starlark.HasAttrs = (*Layer)(nil)

func (l *Layer) Attr(name string) (starlark.Value, error) {
	if name == "kind" {
		return starlark.String(l.kind), nil
	}
	v, _ := l.set.get(name)
	return v, nil
}

// layerBuiltins are the layer constructors, one per layer type nn
// registers: their arguments, checks and reference text are nn's.
func layerBuiltins() starlark.StringDict {
	d := starlark.StringDict{}
	for _, t := range nn.LayerTypes() {
		d[string(t.Kind)] = starlark.NewBuiltin(string(t.Kind), func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return makeLayer(t, b.Name(), args, kwargs)
		})
	}
	return d
}

// makeLayer unpacks the arguments of a layer of type t, called as fn.
func makeLayer(t *nn.LayerType, fn string, args starlark.Tuple, kwargs []starlark.Tuple) (*Layer, error) {
	ints := make([]int, len(t.Args))
	vals := make([]float64, len(t.Args))
	var pairs []any
	for i, a := range t.Args {
		name := a.Name
		switch a.Default {
		case "":
		case "None":
			name += "??"
		default:
			name += "?"
		}
		if a.Type == nn.ArgInt {
			ints[i] = unset
			pairs = append(pairs, name, &ints[i])
		} else {
			vals[i] = math.NaN()
			pairs = append(pairs, name, fl(&vals[i]))
		}
	}
	if err := unpackArgs(fn, args, kwargs, pairs...); err != nil {
		return nil, err
	}
	given := make([]bool, len(t.Args))
	for i, a := range t.Args {
		if a.Type == nn.ArgInt {
			given[i] = ints[i] != unset
			vals[i] = float64(ints[i])
		} else {
			given[i] = vals[i] == vals[i] // not the NaN it started as
		}
	}
	spec, err := t.Spec(vals, given)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	l := &Layer{configured: configured{valueType: "layer", kind: string(t.Kind), methods: []string{"kind"}}, spec: spec}
	for i, v := range t.Values(spec) {
		l.set.add(t.Args[i].Name, starlarkValue(v))
	}
	return l, nil
}

// starlarkValue converts an int, a float64 or nil (None) to Starlark.
func starlarkValue(v any) starlark.Value {
	switch v := v.(type) {
	case int:
		return starlark.MakeInt(v)
	case float64:
		return starlark.Float(v)
	case nil:
		return starlark.None
	}
	panic(fmt.Sprintf("builtins: setting of type %T", v))
}

// layerReference is the reference of the layer constructors, generated
// from nn's registry: each one's signature and doc.
func layerReference() string {
	var b strings.Builder
	for _, t := range nn.LayerTypes() {
		b.WriteString(t.Signature() + "\n")
		if t.Doc != "" {
			b.WriteString("    " + t.Doc + "\n")
		}
	}
	return b.String()
}

// layerList names the layer constructors for messages: "conv, relu, ...".
func layerList() string { return strings.Join(nn.LayerKinds(), ", ") }
