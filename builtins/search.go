package builtins

import (
	"go.starlark.net/starlark"
)

// searchBuiltins search a space of settings instead of a grid:
//
//	uniform(lo, hi)
//	log_uniform(lo, hi)
//	int_uniform(lo, hi)
//	choice(values)
//	    Distributions of one setting's values, for the space of search():
//	    uniform floats in [lo, hi]; log_uniform floats whose logarithm is
//	    uniform (lo > 0: learning rates, regularisation strengths); integers
//	    in [lo, hi], both included; one of a non-empty list. Drawn floats
//	    are rounded to 3 significant digits, so a table prints exactly the
//	    value that was trained. lo >= hi, lo <= 0 for log_uniform and an
//	    empty choice are errors at the line that makes them.
var searchBuiltins = starlark.StringDict{
	"uniform":     starlark.NewBuiltin("uniform", uniformBuiltin),
	"log_uniform": starlark.NewBuiltin("log_uniform", uniformBuiltin),
	"int_uniform": starlark.NewBuiltin("int_uniform", uniformBuiltin),
	"choice":      starlark.NewBuiltin("choice", choiceBuiltin),
}
