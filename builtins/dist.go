package builtins

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/search"
)

// Dist is one axis of a search space: a distribution of a setting's
// values (see searchBuiltins). Values drawn from the continuous ones are
// rounded to 3 significant digits, so that the value a table prints is the
// value trained, and pasting it into a train() gives the same trial.
type Dist struct {
	kind    string // "uniform", "log_uniform", "int_uniform" or "choice"
	lo, hi  float64
	choices []starlark.Value
}

var _ starlark.Value = (*Dist)(nil)

func (d *Dist) String() string {
	switch d.kind {
	case "choice":
		parts := make([]string, len(d.choices))
		for i, c := range d.choices {
			parts[i] = c.String()
		}
		return "choice([" + strings.Join(parts, ", ") + "])"
	case "int_uniform":
		return fmt.Sprintf("int_uniform(%d, %d)", int64(d.lo), int64(d.hi))
	}
	return fmt.Sprintf("%s(%s, %s)", d.kind, starlark.Float(d.lo), starlark.Float(d.hi))
}
func (d *Dist) Type() string          { return "distribution" }
func (d *Dist) Freeze()               {}
func (d *Dist) Truth() starlark.Bool  { return true }
func (d *Dist) Hash() (uint32, error) { return starlark.String(d.String()).Hash() }

// Log reports whether the axis is searched (and best plotted) in log space.
func (d *Dist) Log() bool { return d.kind == "log_uniform" }

// internal bounds: the interval the samplers work in — log space for
// log_uniform, the integers widened by half a step for int_uniform (as
// Optuna's IntDistribution with step 1), choice indices for choice.
func (d *Dist) bounds() (lo, hi float64) {
	switch d.kind {
	case "log_uniform":
		return math.Log(d.lo), math.Log(d.hi)
	case "int_uniform":
		return d.lo - 0.5, d.hi + 0.5
	case "choice":
		return 0, float64(len(d.choices))
	}
	return d.lo, d.hi
}

// axis is d as the samplers see it.
func (d *Dist) axis(name string) search.Axis {
	lo, hi := d.bounds()
	kind := search.Float
	switch d.kind {
	case "int_uniform":
		kind = search.Int
	case "choice":
		kind = search.Choice
	}
	return search.Axis{Name: name, Kind: kind, Lo: lo, Hi: hi}
}

// value turns an internal coordinate (in bounds) into the setting's value:
// rounded to 3 significant digits and kept in [lo, hi] for the continuous
// kinds, the nearest integer for int_uniform, the choice at that index.
func (d *Dist) value(x float64) starlark.Value {
	switch d.kind {
	case "choice":
		i := min(max(int(math.Floor(x)), 0), len(d.choices)-1)
		return d.choices[i]
	case "int_uniform":
		return starlark.MakeInt64(int64(min(max(math.Round(x), d.lo), d.hi)))
	case "log_uniform":
		x = math.Exp(x)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 3, 64), 64)
	return starlark.Float(min(max(r, d.lo), d.hi))
}

// internal is the inverse of value for a value the distribution produced.
func (d *Dist) internal(v starlark.Value) float64 {
	switch d.kind {
	case "choice":
		for i, c := range d.choices {
			if eq, err := starlark.Equal(c, v); err == nil && eq {
				return float64(i) + 0.5
			}
		}
		return 0
	}
	f, _ := starlark.AsFloat(v)
	if d.kind == "log_uniform" {
		return math.Log(f)
	}
	return f
}

func uniformBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	d := &Dist{kind: fn}
	if fn == "int_uniform" {
		var lo, hi int
		if err := unpackArgs(fn, args, kwargs, "lo", &lo, "hi", &hi); err != nil {
			return nil, err
		}
		if hi <= lo {
			return nil, fmt.Errorf("%s: for parameter hi: got %d, want > lo (%d)", fn, hi, lo)
		}
		d.lo, d.hi = float64(lo), float64(hi)
		return d, nil
	}
	var lo, hi num
	if err := unpackArgs(fn, args, kwargs, "lo", &lo, "hi", &hi); err != nil {
		return nil, err
	}
	if fn == "log_uniform" && lo <= 0 {
		return nil, fmt.Errorf("%s: for parameter lo: got %g, want > 0 (a log scale starts above 0)", fn, float64(lo))
	}
	if hi <= lo {
		return nil, fmt.Errorf("%s: for parameter hi: got %g, want > lo (%g)", fn, float64(hi), float64(lo))
	}
	d.lo, d.hi = float64(lo), float64(hi)
	return d, nil
}

func choiceBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var values starlark.Value
	if err := unpackArgs(b.Name(), args, kwargs, "values", &values); err != nil {
		return nil, err
	}
	var vs []starlark.Value
	switch values := values.(type) {
	case *starlark.List, starlark.Tuple:
		vs = slices.Collect(starlark.Elements(values.(starlark.Iterable)))
	default:
		return nil, fmt.Errorf("%s: for parameter values: got %s, want a list", b.Name(), values.Type())
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%s: for parameter values: got an empty list, want at least one value", b.Name())
	}
	for _, v := range vs {
		v.Freeze()
		if _, ok := v.(*Dist); ok {
			return nil, fmt.Errorf("%s: for parameter values: a choice of distributions is not supported; search each setting with its own distribution", b.Name())
		}
	}
	return &Dist{kind: "choice", choices: vs}, nil
}
