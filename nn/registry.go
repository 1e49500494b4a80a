package nn

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// LayerType is everything pipe knows about one layer kind, in one place: the
// arguments of its constructor (which the Starlark builtins, their reference
// and their error messages are derived from), its output shape, its
// parameter count and how it is built. Each layer's file registers its type
// with registerLayer; adding a layer is that file, its tests and nothing
// else.
type LayerType struct {
	Kind LayerKind
	// Doc is the reference text under the constructor's signature.
	Doc string
	// Args are the constructor's arguments, in call order.
	Args []Arg

	// spec makes the layer from checked argument values.
	spec func(a ArgValues) LayerSpec
	// shape is the output shape for input in, or what is wrong with l.
	shape func(l LayerSpec, in [3]int, classes int) ([3]int, error)
	// params is the number of learnable values for input in and output out
	// (a float64: absurd settings overflow an int before size checks reject
	// them); nil for a layer without parameters.
	params func(l LayerSpec, in, out [3]int) float64
	// build adds the layer to a model under construction.
	build builders
}

// ArgType is what values an argument of a layer takes.
type ArgType int

// The argument types.
const (
	ArgInt      ArgType = iota // an integer ≥ Arg.Min
	ArgProb                    // a probability in [0, 1)
	ArgPositive                // a float > 0
)

// Arg is one argument of a layer's constructor.
type Arg struct {
	Name string
	Type ArgType
	// Default is the default as the reference shows it: "" for a required
	// argument, "None" for one whose value follows from the others (the
	// layer's spec func sees it as not given), else a number.
	Default string
	// Min is the least value of an ArgInt.
	Min int
	// get reads the argument's value back from a spec: an int, a float64,
	// or nil for None.
	get func(l LayerSpec) any
}

// Check reports whether v is a valid value of a, as a *SettingError.
func (a Arg) Check(v float64) error {
	switch a.Type {
	case ArgInt:
		if v < float64(a.Min) {
			return &SettingError{Name: a.Name, Got: int(v), Want: fmt.Sprintf(">= %d", a.Min)}
		}
	case ArgProb:
		if !(v >= 0 && v < 1) {
			return &SettingError{Name: a.Name, Got: v, Want: "a probability in [0, 1)"}
		}
	case ArgPositive:
		if !(v > 0) || math.IsInf(v, 0) {
			return &SettingError{Name: a.Name, Got: v, Want: "> 0"}
		}
	}
	return nil
}

// SettingError is a setting outside its range: callers name where it came
// from (`conv: for parameter filters: got 0, want >= 1`).
type SettingError struct {
	Name string
	Got  any
	Want string
}

func (e *SettingError) Error() string {
	return fmt.Sprintf("for parameter %s: got %v, want %s", e.Name, e.Got, e.Want)
}

// ArgValues are the values of a layer's arguments, in Args order.
type ArgValues struct {
	t     *LayerType
	vals  []float64
	given []bool
}

func (a ArgValues) index(name string) int {
	i := slices.IndexFunc(a.t.Args, func(x Arg) bool { return x.Name == name })
	if i < 0 {
		panic(fmt.Sprintf("nn: %s has no argument %s", a.t.Kind, name))
	}
	return i
}

// Int is the value of the int argument name.
func (a ArgValues) Int(name string) int { return int(a.vals[a.index(name)]) }

// Float is the value of the float argument name.
func (a ArgValues) Float(name string) float64 { return a.vals[a.index(name)] }

// Given reports whether the argument name (of default "None") has a value.
func (a ArgValues) Given(name string) bool { return a.given[a.index(name)] }

// Spec checks the values of t's arguments (vals in Args order; given[i]
// false means argument i takes its default) and returns the layer. The
// first invalid argument, in Args order, is a *SettingError.
func (t *LayerType) Spec(vals []float64, given []bool) (LayerSpec, error) {
	if len(vals) != len(t.Args) || len(given) != len(t.Args) {
		panic(fmt.Sprintf("nn: %s: %d values for %d arguments", t.Kind, len(vals), len(t.Args)))
	}
	a := ArgValues{t: t, vals: slices.Clone(vals), given: slices.Clone(given)}
	for i, arg := range t.Args {
		if !given[i] {
			switch arg.Default {
			case "":
				panic(fmt.Sprintf("nn: %s: required argument %s not given", t.Kind, arg.Name))
			case "None":
				continue
			}
			a.vals[i] = arg.defaultValue()
		}
		if err := arg.Check(a.vals[i]); err != nil {
			return LayerSpec{}, err
		}
	}
	l := t.spec(a)
	l.Kind = t.Kind
	return l, nil
}

func (a Arg) defaultValue() float64 {
	v, err := strconv.ParseFloat(a.Default, 64)
	if err != nil {
		panic(fmt.Sprintf("nn: argument %s: default %q is not a number", a.Name, a.Default))
	}
	return v
}

// Values returns the arguments of l, in Args order, as the constructor would
// be called to make it again: an int, a float64, or nil for None.
func (t *LayerType) Values(l LayerSpec) []any {
	out := make([]any, len(t.Args))
	for i, a := range t.Args {
		out[i] = a.get(l)
	}
	return out
}

// Signature is the constructor's call form with defaults, as the reference
// shows it: conv(filters, size, stride=1, pad=None).
func (t *LayerType) Signature() string {
	parts := make([]string, len(t.Args))
	for i, a := range t.Args {
		parts[i] = a.Name
		if a.Default != "" {
			parts[i] += "=" + a.Default
		}
	}
	return string(t.Kind) + "(" + strings.Join(parts, ", ") + ")"
}

// layerTypes is the registry, filled by registerLayer from the layers' files.
var layerTypes = map[LayerKind]*LayerType{}

// registerLayer adds t to the registry; called from the layers' files.
func registerLayer(t *LayerType) struct{} {
	if _, dup := layerTypes[t.Kind]; dup || t.spec == nil || t.shape == nil || t.build.f32 == nil {
		panic(fmt.Sprintf("nn: layer %q registered twice or incompletely", t.Kind))
	}
	for _, a := range t.Args {
		if a.get == nil {
			panic(fmt.Sprintf("nn: layer %q: argument %s cannot be read back", t.Kind, a.Name))
		}
		if a.Default != "" && a.Default != "None" {
			a.defaultValue() // panics on a typo
		}
	}
	layerTypes[t.Kind] = t
	return struct{}{}
}

// LayerTypes returns the registered layer types, sorted by kind.
func LayerTypes() []*LayerType {
	ts := make([]*LayerType, 0, len(layerTypes))
	for _, t := range layerTypes {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *LayerType) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
	return ts
}

// LayerKinds lists the registered kinds, sorted, for messages.
func LayerKinds() []string {
	var names []string
	for _, t := range LayerTypes() {
		names = append(names, string(t.Kind))
	}
	return names
}

// LookupLayer returns the type of kind, or nil.
func LookupLayer(kind LayerKind) *LayerType { return layerTypes[kind] }

// builders holds a layer type's constructor in both element types.
type builders struct {
	f32 func(b *builder[float32], l LayerSpec) layer[float32]
	f64 func(b *builder[float64], l LayerSpec) layer[float64]
}

// buildWith wraps a generic constructor for the registry:
// build: buildWith(buildConv[float32], buildConv[float64]).
func buildWith(f32 func(b *builder[float32], l LayerSpec) layer[float32], f64 func(b *builder[float64], l LayerSpec) layer[float64]) builders {
	return builders{f32, f64}
}

// buildLayer runs t's constructor for element type T.
func buildLayer[T Float](t *LayerType, b *builder[T], l LayerSpec) layer[T] {
	switch b := any(b).(type) {
	case *builder[float32]:
		ly := t.build.f32(b, l)
		if ly == nil {
			return nil
		}
		return any(ly).(layer[T])
	case *builder[float64]:
		ly := t.build.f64(b, l)
		if ly == nil {
			return nil
		}
		return any(ly).(layer[T])
	}
	panic("nn: unknown element type")
}
