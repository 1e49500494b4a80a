package builtins

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Predeclared returns every builtin of pipe's Starlark API, for
// starlark.ExecFileOptions. Each concern documents its builtins where they
// are declared; that comment is the user reference:
//
//	param.go   param
//	data.go    dataset
//	model.go   three_layer_convnet, sequential, conv, relu, max_pool, affine, dropout
//	train.go   sgd, sgd_momentum, rmsprop, adam, train_config, train
//	sweep.go   sweep
//	checks.go  check_initial_loss, gradient_check, overfit
//	table.go   table
//	plot.go    plot
//	report.go  report
//
// The map is new on every call, so the runtime may add to it.
func Predeclared() starlark.StringDict {
	all := starlark.StringDict{}
	for _, m := range []starlark.StringDict{
		paramBuiltins, dataBuiltins, modelBuiltins, trainBuiltins,
		sweepBuiltins, checkBuiltins, tableBuiltins, plotBuiltins, reportBuiltins,
	} {
		for name, v := range m {
			if _, dup := all[name]; dup {
				panic("builtins: " + name + " declared twice") // a programming error, caught by TestPredeclared
			}
			all[name] = v
		}
	}
	return all
}

// builtinFunc is the signature of a builtin's implementation.
type builtinFunc = func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)

// newBuiltin wraps fn so that a panic inside it — nn and data report shape
// bugs by panicking — becomes an error naming the builtin instead of
// crashing the run.
func newBuiltin(name string, fn builtinFunc) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("%s: internal error: %v", b.Name(), r)
			}
		}()
		return fn(thread, b, args, kwargs)
	})
}

// recovered runs f and turns a panic into an error prefixed with what.
func recovered(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", what, r)
		}
	}()
	return f()
}

// envFor returns the thread's Env, or an error naming the builtin when the
// runtime did not set one.
func envFor(thread *starlark.Thread, fn string) (*Env, error) {
	env := EnvOf(thread)
	if env == nil {
		return nil, fmt.Errorf("%s: no pipeline environment on this thread (the runtime must call builtins.SetEnv)", fn)
	}
	return env, nil
}

// stdout returns where user-facing lines go.
func (env *Env) stdout() io.Writer {
	if env.Stdout == nil {
		return io.Discard
	}
	return env.Stdout
}

// settings is the ordered list of named settings a configurable value (a
// model, a layer, an optimiser, a training configuration) was made with,
// after defaults and normalisation. They are its attributes, and replace()
// and sweep grids rebuild the value from them with some changed, through the
// same constructor, so every value is checked the same way however it is made.
type settings struct {
	names []string
	vals  []starlark.Value
}

func (s *settings) add(name string, v starlark.Value) {
	v.Freeze()
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

func (s settings) get(name string) (starlark.Value, bool) {
	if i := slices.Index(s.names, name); i >= 0 {
		return s.vals[i], true
	}
	return nil, false
}

func (s settings) has(name string) bool { return slices.Contains(s.names, name) }

// kwargs returns the settings as keyword arguments with the values of
// override replacing theirs; override keys must be settings.
func (s settings) kwargs(override map[string]starlark.Value) []starlark.Tuple {
	kw := make([]starlark.Tuple, len(s.names))
	for i, name := range s.names {
		v := s.vals[i]
		if o, ok := override[name]; ok {
			v = o
		}
		kw[i] = starlark.Tuple{starlark.String(name), v}
	}
	return kw
}

// format renders the settings as a call of fn, e.g. adam(lr=0.001, ...).
func (s settings) format(fn string) string {
	var b strings.Builder
	b.WriteString(fn)
	b.WriteByte('(')
	for i, name := range s.names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", name, s.vals[i].String())
	}
	b.WriteByte(')')
	return b.String()
}

// overrides checks a replace() call's arguments (keywords only, each a
// setting named in valid) and returns them as a map.
func overrides(fn string, args starlark.Tuple, kwargs []starlark.Tuple, valid []string) (map[string]starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: got %d positional arguments, want keyword arguments only", fn, len(args))
	}
	m := make(map[string]starlark.Value, len(kwargs))
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		if !slices.Contains(valid, name) {
			return nil, fmt.Errorf("%s: unknown setting %q (valid: %s)", fn, name, strings.Join(sortedCopy(valid), ", "))
		}
		m[name] = kv[1]
	}
	return m, nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// settingValue converts a Starlark setting to the Go value a
// results.Setting holds: int64, float64, string or bool; anything else
// (an optimiser in a grid, say) by its Starlark form.
func settingValue(v starlark.Value) any {
	switch v := v.(type) {
	case starlark.Int:
		if i, ok := v.Int64(); ok {
			return i
		}
		return v.String()
	case starlark.Float:
		return float64(v)
	case starlark.String:
		return string(v)
	case starlark.Bool:
		return bool(v)
	}
	return v.String()
}

// attrNames returns names plus the methods of a value, sorted, for dir().
func attrNames(names []string, methods ...string) []string {
	return sortedCopy(append(slices.Clone(names), methods...))
}

// intAtLeast reports an error naming fn and param unless v >= min.
func intAtLeast(fn, param string, v, min int) error {
	if v < min {
		return fmt.Errorf("%s: for parameter %s: got %d, want >= %d", fn, param, v, min)
	}
	return nil
}

// unpackArgs is starlark.UnpackArgs with one message form: the library
// quotes a parameter named by keyword (`for parameter "reg"`) but not one
// given by position, and users should see `for parameter reg` either way.
func unpackArgs(fn string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	err := starlark.UnpackArgs(fn, args, kwargs, pairs...)
	if err == nil {
		return nil
	}
	return errors.New(quotedParam.ReplaceAllString(err.Error(), "$1 $2"))
}

var quotedParam = regexp.MustCompile(`(for parameter|unexpected keyword argument|multiple values for keyword argument) "([A-Za-z_0-9]+)"`)

// num unpacks a finite float parameter that also accepts an int (reg = 0),
// which starlark.UnpackArgs's *float64 does not.
type num float64

var _ starlark.Unpacker = (*num)(nil)

func (n *num) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Float:
		*n = num(v)
	case starlark.Int:
		f, _ := starlark.AsFloat(v) // an int too large for a float64 becomes ±Inf, rejected by range checks
		*n = num(f)
	default:
		return fmt.Errorf("got %s, want float", v.Type())
	}
	// No setting means anything at NaN or ±Inf, and such a value would
	// make a trial's spec impossible to write as JSON.
	if math.IsNaN(float64(*n)) || math.IsInf(float64(*n), 0) {
		return fmt.Errorf("got %s, want a finite float", v)
	}
	return nil
}

// fl lets a *float64 be unpacked as a num.
func fl(p *float64) *num { return (*num)(p) }

// equalByForm compares two configurable values of one type by their
// settings, which their String form lists in full: sgd() == sgd(), and a
// model rebuilt by replace with the same settings equals the original.
func equalByForm(op syntax.Token, x, y starlark.Value) (bool, error) {
	switch op {
	case syntax.EQL:
		return x.String() == y.String(), nil
	case syntax.NEQ:
		return x.String() != y.String(), nil
	}
	return false, fmt.Errorf("%s %s %s not supported", x.Type(), op, y.Type())
}
