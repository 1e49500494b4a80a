package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"
)

// sweepBuiltins train a model over a grid of settings:
//
//	sweep(model, data, config, grid={}, zip={}, seeds=None, label=None)
//	    Trains one trial per combination and returns their results, in
//	    order: the cartesian product of the grid's axes in the order given
//	    (the first varies slowest), then the zip axes, which vary together
//	    (their lists must be equally long), then seeds (a list of ints, each
//	    a training seed). A key names a setting of the model if it has one
//	    (filter_size, reg, dropout, ...), else of the configuration (epochs,
//	    batch_size, lr_decay, seed, train_images, optimizer) or its optimiser
//	    (lr, momentum, ...). All trials go to the trial engine at once, so
//	    they train in parallel; each result's settings hold its values.
//
// Example: sweep(base_model, data, base_train, grid = {"filter_size": [3, 5, 7]}).
var sweepBuiltins = starlark.StringDict{
	"sweep": starlark.NewBuiltin("sweep", sweep),
}

// axis is one dimension of a sweep: one name for a grid axis or seeds,
// several that vary together for zip.
type axis struct {
	names  []string
	values [][]starlark.Value // values[name index][position]
}

func (a axis) len() int { return len(a.values[0]) }

func sweep(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var m modelArg
	var d dataArg
	var c configArg
	var grid, zip *starlark.Dict
	var seeds starlark.Value = starlark.None
	var label string
	if err := unpackArgs(b.Name(), args, kwargs, "model", &m, "data", &d, "config", &c,
		"grid?", &grid, "zip?", &zip, "seeds?", &seeds, "label??", (*text)(&label)); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	axes, err := sweepAxes(b.Name(), grid, zip, seeds)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ax := range axes {
		names = append(names, ax.names...)
	}
	if err := checkSettings(b.Name(), m.m, c.c, names); err != nil {
		return nil, err
	}

	var trials []*trial
	for combo := range product(axes) {
		t, err := settingsTrial(b.Name(), m.m, d.d, c.c, combo)
		if err != nil {
			return nil, err
		}
		t.label = label
		trials = append(trials, t)
	}
	group := label
	if group == "" {
		group = "sweep " + strings.Join(names, ",")
	}
	rs, err := runTrials(env, b.Name(), group, trials)
	if err != nil {
		return nil, err
	}
	out := make([]starlark.Value, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return starlark.NewList(out), nil
}

// checkSettings reports the first of names that is not a setting of the
// model m or the configuration c, listing the valid ones.
func checkSettings(fn string, m *Model, c *TrainConfig, names []string) error {
	for _, name := range names {
		if !m.set.has(name) && !c.has(name) {
			valid := append(slices.Clone(m.set.names), c.keys()...)
			return fmt.Errorf("%s: unknown setting %q: not a setting of %s or of the training configuration (valid: %s)",
				fn, name, m.kind, strings.Join(sortedCopy(valid), ", "))
		}
	}
	return nil
}

// settingsTrial is the trial of m, d and c with the settings of combo
// changed (each a model setting if the model has it, else one of the
// configuration or its optimiser), named by combo in messages.
func settingsTrial(fn string, m *Model, d *Data, c *TrainConfig, combo []namedValue) (*trial, error) {
	modelOv := map[string]starlark.Value{}
	configOv := map[string]starlark.Value{}
	for _, nv := range combo {
		if m.set.has(nv.name) {
			modelOv[nv.name] = nv.value
		} else {
			configOv[nv.name] = nv.value
		}
	}
	where := fmt.Sprintf("%s: trial %s", fn, describeCombo(combo))
	model, config := m, c
	var err error
	if len(modelOv) > 0 {
		if model, err = model.with(m.kind, modelOv); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
	}
	if len(configOv) > 0 {
		if config, err = config.with("train_config", configOv); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
	}
	return newTrial(where, model, d, config, combo)
}

// describeCombo names a trial of a sweep in error messages by the values as
// the pipeline wrote them (filter_size="7" when the mistake is the quotes),
// not as tables show them.
func describeCombo(combo []namedValue) string {
	if len(combo) == 0 {
		return "(no settings)"
	}
	parts := make([]string, len(combo))
	for i, nv := range combo {
		parts[i] = nv.name + "=" + nv.value.String()
	}
	return strings.Join(parts, " ")
}

// sweepAxes checks grid, zip and seeds and returns the axes in sweep order.
func sweepAxes(fn string, grid, zip *starlark.Dict, seeds starlark.Value) ([]axis, error) {
	var axes []axis
	seen := map[string]bool{}
	name := func(param string, k starlark.Value) (string, error) {
		s, ok := k.(starlark.String)
		if !ok {
			return "", fmt.Errorf("%s: for parameter %s: key %s is %s, want string", fn, param, k, k.Type())
		}
		if seen[string(s)] {
			return "", fmt.Errorf("%s: setting %q is swept twice", fn, string(s))
		}
		seen[string(s)] = true
		return string(s), nil
	}
	if grid != nil {
		for _, kv := range grid.Items() {
			n, err := name("grid", kv[0])
			if err != nil {
				return nil, err
			}
			vs, err := axisValues(fn, "grid", n, kv[1])
			if err != nil {
				return nil, err
			}
			axes = append(axes, axis{names: []string{n}, values: [][]starlark.Value{vs}})
		}
	}
	if zip != nil && zip.Len() > 0 {
		var z axis
		for _, kv := range zip.Items() {
			n, err := name("zip", kv[0])
			if err != nil {
				return nil, err
			}
			vs, err := axisValues(fn, "zip", n, kv[1])
			if err != nil {
				return nil, err
			}
			if len(z.values) > 0 && len(vs) != z.len() {
				return nil, fmt.Errorf("%s: for parameter zip: %q has %d values but %q has %d; zip axes vary together and need equal lengths",
					fn, n, len(vs), z.names[0], z.len())
			}
			z.names = append(z.names, n)
			z.values = append(z.values, vs)
		}
		axes = append(axes, z)
	}
	if seeds != starlark.None {
		if seen["seed"] {
			return nil, fmt.Errorf("%s: seed is swept twice (in seeds and in grid or zip)", fn)
		}
		vs, err := axisValues(fn, "seeds", "seeds", seeds)
		if err != nil {
			return nil, err
		}
		for i, v := range vs {
			if _, ok := v.(starlark.Int); !ok {
				return nil, fmt.Errorf("%s: for parameter seeds: element %d is %s, want int", fn, i, v.Type())
			}
		}
		axes = append(axes, axis{names: []string{"seed"}, values: [][]starlark.Value{vs}})
	}
	return axes, nil
}

func axisValues(fn, param, name string, v starlark.Value) ([]starlark.Value, error) {
	var vs []starlark.Value
	switch v := v.(type) {
	case *starlark.List, starlark.Tuple:
		for e := range starlark.Elements(v.(starlark.Iterable)) {
			vs = append(vs, e)
		}
	case *Dist:
		return nil, fmt.Errorf("%s: for parameter %s: %s is %s; a grid takes a list of values, search() takes distributions", fn, param, name, v)
	default:
		return nil, fmt.Errorf("%s: for parameter %s: %s is %s, want a list of values", fn, param, name, v.Type())
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: for parameter %s: %s has no values", fn, param, name)
	}
	return vs, nil
}

// product yields every combination of the axes' values, the first axis
// varying slowest; with no axes, one empty combination.
func product(axes []axis) func(yield func([]namedValue) bool) {
	return func(yield func([]namedValue) bool) {
		idx := make([]int, len(axes))
		for {
			var combo []namedValue
			for i, ax := range axes {
				for j, n := range ax.names {
					combo = append(combo, namedValue{n, ax.values[j][idx[i]]})
				}
			}
			if !yield(combo) {
				return
			}
			i := len(axes) - 1
			for ; i >= 0; i-- {
				idx[i]++
				if idx[i] < axes[i].len() {
					break
				}
				idx[i] = 0
			}
			if i < 0 {
				return
			}
		}
	}
}
