package builtins

import (
	"fmt"
	"math"
	"slices"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
)

// modelBuiltins describe networks. A model is a value: it holds settings,
// not weights, and is built and trained by train and sweep.
//
//	three_layer_convnet(num_filters=32, filter_size=7, hidden_dim=100, num_classes=None,
//	                    weight_scale=1e-3, reg=0.0, dropout=0.0, init="normal", batchnorm=False)
//	    The course's net: conv - relu - 2x2 max pool - affine - relu - affine,
//	    the conv keeping the spatial size (filter_size must be odd). dropout > 0
//	    adds inverted dropout after the pool and after the hidden ReLU;
//	    batchnorm True adds a batch norm after the conv and after the hidden
//	    affine (conv - batchnorm - relu - pool - affine - batchnorm - relu - affine).
//	    num_classes None takes the data set's class count. init is "normal"
//	    (N(0, weight_scale²)), "he" or "xavier"; the last two ignore
//	    weight_scale, which then does not enter the trial's key (changing
//	    it retrains nothing). reg is the L2 strength.
//	sequential(layers, weight_scale=1e-3, reg=0.0, init="normal")
//	    Any stack of layers (see layers below); the last must be an affine
//	    layer. weight_scale, reg and init as for three_layer_convnet.
//
// A model's settings are its attributes (model.filter_size, model.layers), and
//
//	model.replace(name=value, ...)
//
// returns a copy with some settings changed, checked like a fresh call.
// Shapes are checked against the data when the model is trained, so
// `conv(32, 33)` on 28x28 images fails at train or sweep naming the layer;
// so is the size: more than 2^27 weights, or 2^28 activation values in a
// batch, is an error rather than an out-of-memory crash.
var modelBuiltins = starlark.StringDict{
	"three_layer_convnet": starlark.NewBuiltin("three_layer_convnet", threeLayerConvnet),
	"sequential":          starlark.NewBuiltin("sequential", sequential),
}

// Model is a network description: the settings it was made with and the
// constructor that checks them, so that replace and sweep grids rebuild it.
type Model struct {
	configured
	make func(fn string, kwargs []starlark.Tuple) (*Model, error)

	three  nn.ThreeLayerConfig // three_layer_convnet
	layers []*Layer            // sequential
	init   nn.Init
	scale  float64
	reg    float64
}

// unset marks an int parameter whose None default is resolved after
// unpacking (starlark.UnpackArgs yields 32-bit ints, so it is never given).
const unset = math.MinInt

var (
	_ starlark.HasAttrs = (*Model)(nil)
	_ starlark.Unpacker = (*modelArg)(nil)
)

func (m *Model) Attr(name string) (starlark.Value, error) {
	if name == "replace" {
		return starlark.NewBuiltin("replace", m.replaceMethod).BindReceiver(m), nil
	}
	v, _ := m.set.get(name)
	return v, nil // nil, nil: no such attribute
}

func (m *Model) replaceMethod(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := m.kind + ".replace"
	o, err := overrides(fn, args, kwargs, m.set.names)
	if err != nil {
		return nil, err
	}
	return m.with(fn, o)
}

// with returns m rebuilt with the settings in o changed.
func (m *Model) with(fn string, o map[string]starlark.Value) (*Model, error) {
	return m.make(fn, m.set.kwargs(o))
}

// Spec returns the network as nn's plain description. Settings the network
// does not use are left out of it, so that they do not enter the trial's
// key: weight_scale only scales the "normal" initialiser ("he" and "xavier"
// derive the scale from the fan-in), so with those it is 0 in the spec and
// changing it retrains nothing.
func (m *Model) Spec() (spec nn.ModelSpec, err error) {
	if m.kind != "three_layer_convnet" {
		spec = nn.ModelSpec{Init: m.init, WeightScale: m.scale, Reg: m.reg}
		for _, l := range m.layers {
			spec.Layers = append(spec.Layers, l.spec)
		}
	} else {
		err = recovered(m.kind, func() error {
			spec = nn.ThreeLayerConvNet(m.three)
			return nil
		})
		spec.Init = m.init
	}
	if spec.Init == nn.InitHe || spec.Init == nn.InitXavier {
		spec.WeightScale = 0
	}
	return spec, err
}

// specFor returns the spec after checking it fits images of shape in and
// the class count, and that batches of batch images fit in memory: the check
// that turns `conv(32, 33)` on 28x28 images or hidden_dim=10**9 into a
// message naming the model rather than a crash mid-training.
func (m *Model) specFor(in [3]int, classes, batch int) (nn.ModelSpec, error) {
	spec, err := m.Spec()
	if err != nil {
		return spec, err
	}
	if n := m.three.NumClasses; m.kind == "three_layer_convnet" && n != 0 && n != classes {
		return spec, fmt.Errorf("%s: num_classes=%d but the data has %d classes", m.kind, n, classes)
	}
	err = recovered(m.kind, func() error {
		shapes, err := spec.Check(in, classes)
		if err != nil {
			return err
		}
		return sizeFits(in, shapes, batch)
	})
	if err != nil {
		return spec, fmt.Errorf("%s on %dx%dx%d input: %v", m.kind, in[0], in[1], in[2], err)
	}
	return spec, nil
}

// modelKind is what a model made by the builtin kind starts as.
func modelKind(kind string) configured {
	return configured{valueType: "model", kind: kind, methods: []string{"replace"}}
}

// modelArg unpacks a model argument.
type modelArg struct{ m *Model }

func (a *modelArg) Unpack(v starlark.Value) error {
	m, ok := v.(*Model)
	if !ok {
		return fmt.Errorf("got %s, want model (from three_layer_convnet or sequential)", v.Type())
	}
	a.m = m
	return nil
}

// initArg unpacks an initialiser name.
type initArg struct{ init nn.Init }

var inits = []string{string(nn.InitNormal), string(nn.InitHe), string(nn.InitXavier)}

func (a *initArg) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return fmt.Errorf("got %s, want string", v.Type())
	}
	if !slices.Contains(inits, string(s)) {
		return fmt.Errorf("unknown initialiser %s (valid: %q, %q, %q)", s, inits[0], inits[1], inits[2])
	}
	a.init = nn.Init(s)
	return nil
}

func threeLayerConvnet(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: got %d positional arguments, want keyword arguments only", b.Name(), len(args))
	}
	return makeThreeLayer(b.Name(), kwargs)
}

func makeThreeLayer(fn string, kwargs []starlark.Tuple) (*Model, error) {
	c := nn.DefaultThreeLayer()
	c.NumClasses = unset
	in := initArg{nn.InitNormal}
	if err := unpackArgs(fn, nil, kwargs,
		"num_filters?", &c.NumFilters, "filter_size?", &c.FilterSize, "hidden_dim?", &c.HiddenDim,
		"num_classes??", &c.NumClasses, "weight_scale?", fl(&c.WeightScale), "reg?", fl(&c.Reg),
		"dropout?", fl(&c.Dropout), "init?", &in, "batchnorm?", &c.BatchNorm); err != nil {
		return nil, err
	}
	if err := firstError(
		intAtLeast(fn, "num_filters", c.NumFilters, 1),
		intAtLeast(fn, "filter_size", c.FilterSize, 1),
		intAtLeast(fn, "hidden_dim", c.HiddenDim, 1),
		checkScale(fn, c.WeightScale), checkReg(fn, c.Reg), checkP(fn, "dropout", c.Dropout),
	); err != nil {
		return nil, err
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	var classes starlark.Value = starlark.None
	if c.NumClasses == unset {
		c.NumClasses = 0
	} else if err := intAtLeast(fn, "num_classes", c.NumClasses, 2); err != nil {
		return nil, err
	} else {
		classes = starlark.MakeInt(c.NumClasses)
	}
	m := &Model{configured: modelKind("three_layer_convnet"), make: makeThreeLayer, three: c, init: in.init, scale: c.WeightScale, reg: c.Reg}
	m.set.add("num_filters", starlark.MakeInt(c.NumFilters))
	m.set.add("filter_size", starlark.MakeInt(c.FilterSize))
	m.set.add("hidden_dim", starlark.MakeInt(c.HiddenDim))
	m.set.add("num_classes", classes)
	m.set.add("weight_scale", starlark.Float(c.WeightScale))
	m.set.add("reg", starlark.Float(c.Reg))
	m.set.add("dropout", starlark.Float(c.Dropout))
	m.set.add("init", starlark.String(in.init))
	m.set.add("batchnorm", starlark.Bool(c.BatchNorm))
	return m, nil
}

func sequential(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	kw := kwargs
	if len(args) > 0 {
		// layers may be positional; turn it into a keyword so that the
		// model's settings (and replace) see one form.
		if len(args) > 1 {
			return nil, fmt.Errorf("%s: got %d positional arguments, want at most 1 (layers)", b.Name(), len(args))
		}
		kw = append([]starlark.Tuple{{starlark.String("layers"), args[0]}}, kwargs...)
	}
	return makeSequential(b.Name(), kw)
}

func makeSequential(fn string, kwargs []starlark.Tuple) (*Model, error) {
	var layers starlark.Iterable
	scale, reg := 1e-3, 0.0
	in := initArg{nn.InitNormal}
	if err := unpackArgs(fn, nil, kwargs, "layers", &layers,
		"weight_scale?", fl(&scale), "reg?", fl(&reg), "init?", &in); err != nil {
		return nil, err
	}
	if err := firstError(checkScale(fn, scale), checkReg(fn, reg)); err != nil {
		return nil, err
	}
	m := &Model{configured: modelKind("sequential"), make: makeSequential, init: in.init, scale: scale, reg: reg}
	var tuple starlark.Tuple
	for v := range starlark.Elements(layers) {
		l, ok := v.(*Layer)
		if !ok {
			return nil, fmt.Errorf("%s: for parameter layers: element %d is %s, want a layer (%s)", fn, len(tuple), v.Type(), layerList())
		}
		m.layers = append(m.layers, l)
		tuple = append(tuple, l)
	}
	if len(m.layers) == 0 {
		return nil, fmt.Errorf("%s: for parameter layers: no layers", fn)
	}
	for i, l := range m.layers {
		last := i == len(m.layers)-1
		if last && l.spec.Kind != nn.Affine {
			return nil, fmt.Errorf("%s: for parameter layers: the last layer is %s, want affine (it produces the class scores)", fn, l.kind)
		}
		if !last && l.spec.Kind == nn.Affine && l.spec.Out == 0 {
			return nil, fmt.Errorf("%s: for parameter layers: layer %d: affine() without out is only for the last layer", fn, i+1)
		}
	}
	m.set.add("layers", tuple)
	m.set.add("weight_scale", starlark.Float(scale))
	m.set.add("reg", starlark.Float(reg))
	m.set.add("init", starlark.String(in.init))
	return m, nil
}

func checkScale(fn string, s float64) error {
	if !(s > 0) {
		return fmt.Errorf("%s: for parameter weight_scale: got %g, want > 0", fn, s)
	}
	return nil
}

func checkReg(fn string, r float64) error {
	if !(r >= 0) {
		return fmt.Errorf("%s: for parameter reg: got %g, want >= 0", fn, r)
	}
	return nil
}

func checkP(fn, param string, p float64) error {
	if !(p >= 0 && p < 1) {
		return fmt.Errorf("%s: for parameter %s: got %g, want a probability in [0, 1)", fn, param, p)
	}
	return nil
}

// Limits on a model's size: far above anything the study trains (the base
// model has 4.1M weights and 75k activation values per 3x32x32 image), and
// low enough that a slip such as hidden_dim=10**9 or shape=(1, 10**5, 10**5)
// is an error naming the model instead of the process dying out of memory.
const (
	maxParams      = 1 << 27 // 512 MiB of float32 weights; the optimiser keeps a few copies
	maxActivations = 1 << 28 // values of one batch's forward pass: 1 GiB of float32
)

// sizeFits rejects a model whose weights, or whose activations on a batch of
// batch images, exceed the limits above; shapes are nn's, with each
// layer's parameter count.
func sizeFits(in [3]int, shapes []nn.LayerShape, batch int) error {
	size := func(s [3]int) float64 { return float64(s[0]) * float64(s[1]) * float64(s[2]) }
	params, acts := 0.0, size(in)
	for _, sh := range shapes {
		params += sh.Params
		acts += size(sh.Out)
	}
	if params > maxParams {
		return fmt.Errorf("%.0f weights, more than the %d pipe trains in memory", params, maxParams)
	}
	if total := acts * float64(max(batch, 1)); total > maxActivations {
		return fmt.Errorf("%.0f activation values for a batch of %d images, more than the %d pipe holds in memory", total, batch, maxActivations)
	}
	return nil
}
