package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
)

// trainBuiltins say how to train and train one model:
//
//	train_config(optimizer=adam(), epochs=1, batch_size=50, lr_decay=1.0, seed=0, train_images=0, patience=0)
//	    How to train: lr is multiplied by lr_decay after each epoch (so with
//	    one epoch it changes nothing and stays out of the trial's key); seed
//	    drives weight initialisation, shuffling and dropout; train_images > 0
//	    keeps only the first that many training images; patience > 0 stops
//	    after that many epochs without a better validation accuracy (the
//	    result's stopped_at is that epoch, 0 when it ran all epochs).
//	train(model, data, config, label=None, init_from=None)
//	    Trains model on data (or takes the record from the cache) and returns
//	    a result. label names the run in progress lines and tables.
//	    init_from = a result starts from that trial's kept (best-validation)
//	    weights instead of random ones (fine-tuning), init_from =
//	    weights(path) from a file's; the trial's key includes the source.
//
// The optimizer is one of the update rules listed under optimizers below.
// Optimisers and training configurations have their settings as attributes
// and a replace(name=value, ...) method; a configuration's replace also
// accepts its optimiser's settings: config.replace(lr=1e-4, epochs=10).
//
// A result has the attributes train_acc, val_acc (the best epoch's),
// test_acc, seconds, status ("ok" or "diverged"), best_epoch, stopped_at
// (the epoch patience stopped at, else 0), key, label,
// config (every model and training setting: r.config.filter_size,
// r.config.lr), settings (a dict of the sweep values that made it), history
// (loss per iteration, train_acc and val_acc per epoch), and the inputs model,
// data and train_config, so that
//
//	best = max(runs, key = lambda r: r.val_acc)
//	train(best.model, data, best.train_config.replace(epochs = 10))
//
// trains the best configuration of a sweep further.
var trainBuiltins = starlark.StringDict{
	"train_config": starlark.NewBuiltin("train_config", trainConfig),
	"train":        starlark.NewBuiltin("train", train),
}

// Optimizer is an update rule with its settings.
type Optimizer struct {
	configured
	spec nn.OptimizerSpec
}

var (
	_ starlark.HasAttrs = (*Optimizer)(nil)
	_ starlark.HasAttrs = (*TrainConfig)(nil)
	_ starlark.Unpacker = (*optimizerArg)(nil)
	_ starlark.Unpacker = (*configArg)(nil)
)

func (o *Optimizer) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(o.spec.Name), nil
	case "replace":
		return starlark.NewBuiltin("replace", o.replaceMethod).BindReceiver(o), nil
	}
	v, _ := o.set.get(name)
	return v, nil
}

func (o *Optimizer) replaceMethod(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := o.spec.Name + ".replace"
	ov, err := overrides(fn, args, kwargs, o.set.names)
	if err != nil {
		return nil, err
	}
	return o.with(fn, ov)
}

func (o *Optimizer) with(fn string, ov map[string]starlark.Value) (*Optimizer, error) {
	return makeOptimizer(o.spec.Name, fn, o.set.kwargs(ov))
}

// optimizerBuiltins are the optimiser constructors, one per update rule nn
// registers: their settings, defaults, checks and reference text are nn's.
// Positional arguments follow the rule's settings order.
func optimizerBuiltins() starlark.StringDict {
	d := starlark.StringDict{}
	for _, t := range nn.OptimizerTypes() {
		d[t.Name] = starlark.NewBuiltin(t.Name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if len(args) > len(t.Settings) {
				return nil, fmt.Errorf("%s: got %d arguments, want at most %d", b.Name(), len(args), len(t.Settings))
			}
			kw := make([]starlark.Tuple, 0, len(args)+len(kwargs))
			for i, a := range args {
				kw = append(kw, starlark.Tuple{starlark.String(t.Settings[i].Name), a})
			}
			return makeOptimizer(t.Name, b.Name(), append(kw, kwargs...))
		})
	}
	return d
}

// makeOptimizer checks the settings of the rule name, called as fn.
func makeOptimizer(name, fn string, kwargs []starlark.Tuple) (*Optimizer, error) {
	t := nn.LookupOptimizer(name)
	if t == nil {
		return nil, fmt.Errorf("%s: unknown optimizer %q", fn, name)
	}
	vals := make([]float64, len(t.Settings))
	pairs := make([]any, 0, 2*len(t.Settings))
	for i, s := range t.Settings {
		vals[i] = s.DefaultValue()
		pairs = append(pairs, s.Name+"?", fl(&vals[i]))
	}
	if err := unpackArgs(fn, nil, kwargs, pairs...); err != nil {
		return nil, err
	}
	spec, err := t.Spec(vals)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	o := &Optimizer{configured: configured{valueType: "optimizer", kind: name, methods: []string{"name", "replace"}}, spec: spec}
	for i, s := range t.Settings {
		o.set.add(s.Name, starlark.Float(vals[i]))
	}
	return o, nil
}

// optimizerReference is the reference of the optimiser constructors,
// generated from nn's registry.
func optimizerReference() string {
	var b strings.Builder
	for _, t := range nn.OptimizerTypes() {
		parts := make([]string, len(t.Settings))
		for i, s := range t.Settings {
			parts[i] = s.Name + "=" + s.Default
		}
		fmt.Fprintf(&b, "%s(%s)\n", t.Name, strings.Join(parts, ", "))
	}
	return b.String()
}

// optimizerList names the optimiser constructors for messages.
func optimizerList() string {
	var names []string
	for _, t := range nn.OptimizerTypes() {
		names = append(names, t.Name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

type optimizerArg struct{ o *Optimizer }

func (a *optimizerArg) Unpack(v starlark.Value) error {
	o, ok := v.(*Optimizer)
	if !ok {
		return fmt.Errorf("got %s, want optimizer (from %s)", v.Type(), optimizerList())
	}
	a.o = o
	return nil
}

// TrainConfig is how a model is trained: the optimiser and the solver's
// settings.
type TrainConfig struct {
	configured
	opt  *Optimizer
	conf nn.TrainConfig
}

func (c *TrainConfig) Attr(name string) (starlark.Value, error) {
	if name == "replace" {
		return starlark.NewBuiltin("replace", c.replaceMethod).BindReceiver(c), nil
	}
	v, _ := c.set.get(name)
	return v, nil
}

// keys are the settings replace and sweep grids may change: the
// configuration's own, then its optimiser's.
func (c *TrainConfig) keys() []string {
	return append(slices.Clone(c.set.names), c.opt.set.names...)
}

func (c *TrainConfig) has(name string) bool { return c.set.has(name) || c.opt.set.has(name) }

func (c *TrainConfig) replaceMethod(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	const fn = "train_config.replace"
	ov, err := overrides(fn, args, kwargs, c.keys())
	if err != nil {
		return nil, err
	}
	return c.with(fn, ov)
}

// with returns c with the settings in ov changed; optimiser settings
// (lr, momentum, ...) change c's optimiser unless ov also gives a new one.
func (c *TrainConfig) with(fn string, ov map[string]starlark.Value) (*TrainConfig, error) {
	own := map[string]starlark.Value{}
	optOv := map[string]starlark.Value{}
	for k, v := range ov {
		if c.set.has(k) {
			own[k] = v
		} else {
			optOv[k] = v
		}
	}
	if len(optOv) > 0 {
		base := c.opt
		if v, ok := own["optimizer"]; ok {
			o, ok := v.(*Optimizer)
			if !ok {
				return nil, fmt.Errorf("%s: for parameter optimizer: got %s, want optimizer", fn, v.Type())
			}
			base = o
		}
		for k := range optOv {
			if !base.set.has(k) {
				return nil, fmt.Errorf("%s: %s has no setting %q (its settings: %v)", fn, base.spec.Name, k, base.set.names)
			}
		}
		o, err := base.with(fn, optOv)
		if err != nil {
			return nil, err
		}
		own["optimizer"] = o
	}
	return makeTrainConfig(fn, c.set.kwargs(own))
}

func trainConfig(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: got %d positional arguments, want keyword arguments only", b.Name(), len(args))
	}
	return makeTrainConfig(b.Name(), kwargs)
}

func makeTrainConfig(fn string, kwargs []starlark.Tuple) (*TrainConfig, error) {
	opt := optimizerArg{}
	epochs, batch, seed, images, patience := 1, 50, 0, 0, 0
	decay := 1.0
	if err := unpackArgs(fn, nil, kwargs, "optimizer?", &opt, "epochs?", &epochs,
		"batch_size?", &batch, "lr_decay?", fl(&decay), "seed?", &seed, "train_images?", &images,
		"patience?", &patience); err != nil {
		return nil, err
	}
	if opt.o == nil {
		var err error
		if opt.o, err = makeOptimizer("adam", fn, nil); err != nil {
			return nil, err
		}
	}
	if err := firstError(
		intAtLeast(fn, "epochs", epochs, 1), intAtLeast(fn, "batch_size", batch, 1),
		intAtLeast(fn, "seed", seed, 0), intAtLeast(fn, "train_images", images, 0),
		intAtLeast(fn, "patience", patience, 0),
	); err != nil {
		return nil, err
	}
	if !(decay > 0 && decay <= 1) {
		return nil, fmt.Errorf("%s: for parameter lr_decay: got %g, want in (0, 1]", fn, decay)
	}
	c := &TrainConfig{configured: configured{valueType: "train_config", kind: "train_config", methods: []string{"replace"}}, opt: opt.o, conf: nn.TrainConfig{
		Optimizer: opt.o.spec, Epochs: epochs, BatchSize: batch, LRDecay: decay,
		Seed: uint64(seed), TrainImages: images, Patience: patience,
	}}
	c.set.add("optimizer", opt.o)
	c.set.add("epochs", starlark.MakeInt(epochs))
	c.set.add("batch_size", starlark.MakeInt(batch))
	c.set.add("lr_decay", starlark.Float(decay))
	c.set.add("seed", starlark.MakeInt(seed))
	c.set.add("train_images", starlark.MakeInt(images))
	c.set.add("patience", starlark.MakeInt(patience))
	return c, nil
}

type configArg struct{ c *TrainConfig }

func (a *configArg) Unpack(v starlark.Value) error {
	c, ok := v.(*TrainConfig)
	if !ok {
		return fmt.Errorf("got %s, want train_config", v.Type())
	}
	a.c = c
	return nil
}

func train(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var m modelArg
	var d dataArg
	var c configArg
	var label string
	var init warmArg
	if err := unpackArgs(b.Name(), args, kwargs, "model", &m, "data", &d, "config", &c, "label??", (*text)(&label), "init_from?", &init); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	t, err := newTrial(b.Name(), m.m, d.d, c.c, nil)
	if err != nil {
		return nil, err
	}
	if t.initFrom, t.init, err = init.source(env, b.Name()); err != nil {
		return nil, err
	}
	if label == "" {
		label = "train" // progress lines need a name; a lone train() has no grid to name it
	}
	t.label = label
	rs, err := runTrials(env, b.Name(), label, []*trial{t})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}
