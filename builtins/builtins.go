// Package builtins is pipe's Starlark API: the functions a pipeline file
// calls to load data and describe models, training, sweeps, checks, tables,
// figures and the report. Each builtin checks its arguments — so a mistake
// is reported at the user's line, before anything trains — and turns them
// into the plain Go specs of nn and results (nn.ModelSpec, nn.TrainConfig,
// results.Trial). It trains nothing itself: trials go to the Runner that the
// runtime puts on the thread with the rest of the run's Env (env.go), which
// keeps this package free of scheduling and caching and lets its tests run
// it alone with a fake runner.
//
// One file per concern; the doc comment of each file's xxxBuiltins variable
// is the user reference for its builtins (REFERENCE.md is generated from
// them). settings.go, args.go and result.go hold what the builtins share.
package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
)

// Predeclared returns every builtin of pipe's Starlark API, for
// starlark.ExecFileOptions. Each concern documents its builtins where they
// are declared; that comment is the user reference:
//
//	lang.go    math
//	param.go   param
//	data.go    dataset
//	model.go   three_layer_convnet, sequential
//	layer.go   one constructor per layer type of nn's registry (conv, relu, ...)
//	train.go   one constructor per update rule of nn's registry (sgd, adam, ...),
//	           train_config, train
//	sweep.go   sweep
//	search.go  uniform, log_uniform, int_uniform, choice, search, halving
//	checks.go  check_initial_loss, gradient_check, overfit
//	table.go   table
//	plot.go    plot
//	report.go  report
//
// The map is new on every call, so the runtime may add to it. Builtins
// return errors for anything a pipeline can get wrong, turning the panics
// by which nn reports shape bugs into errors where they call it (see
// recovered); any other panic is a bug in pipe, which the runtime reports
// as one, at the user's call, with the Go stack under PIPE_DEBUG=1.
func Predeclared() starlark.StringDict {
	all := starlark.StringDict{}
	for _, m := range []starlark.StringDict{
		langBuiltins, paramBuiltins, dataBuiltins, modelBuiltins, layerBuiltins(), optimizerBuiltins(), trainBuiltins,
		sweepBuiltins, searchBuiltins, checkBuiltins, tableBuiltins, plotBuiltins, reportBuiltins, artifactsBuiltins,
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

// recovered runs f and turns a panic into an error prefixed with what: nn
// and data panic on shapes they cannot handle (gonum's convention), and
// for a builtin such a shape comes from the user.
func recovered(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", what, r)
		}
	}()
	return f()
}
