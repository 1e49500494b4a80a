package builtins

import (
	"fmt"
	"maps"
	gomath "math"

	"go.starlark.net/lib/math"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// langBuiltins complete the Starlark dialect of pipelines:
//
//	math.pow(x, y), math.log(x, base=e), math.log10(x), math.log2(x), math.exp(x),
//	math.sqrt(x), math.floor(x), math.ceil(x), math.round(x), math.pi, math.e, ...
//	    starlark-go's math module (https://pkg.go.dev/go.starlark.net/lib/math)
//	    with Python's log10 and log2 added. Starlark has no ** operator, so
//	    10 ** -3 is written 1e-3 or math.pow(10, -3), and a log-spaced list
//	    is [math.pow(10, e) for e in range(-4, -1)] (or a log_uniform axis
//	    of search). Ints and floats mix in arithmetic; 1 / 2 is 0.5 and
//	    1 // 2 is 0.
//
// Pipelines may also use while loops, sets and if/for at top level. A
// misspelt name is reported with the nearest builtin (undefined:
// squential (did you mean sequential?)), and a name that a file in lib/
// defines but the pipeline did not load() with the load line to add.
var langBuiltins = starlark.StringDict{
	"math": mathModule(),
}

func mathModule() *starlarkstruct.Module {
	members := maps.Clone(math.Module.Members)
	for name, f := range map[string]func(float64) float64{"log10": gomath.Log10, "log2": gomath.Log2} {
		members[name] = starlark.NewBuiltin(name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var x num
			if err := unpackArgs("math."+name, args, kwargs, "x", &x); err != nil {
				return nil, err
			}
			if x <= 0 {
				return nil, fmt.Errorf("math.%s: for parameter x: got %g, want > 0", name, float64(x))
			}
			return starlark.Float(f(float64(x))), nil
		})
	}
	return &starlarkstruct.Module{Name: "math", Members: members}
}
