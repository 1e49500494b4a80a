// Package builtins is pipe's Starlark API: one file per concern (data,
// model, train, sweep, checks, table, plot, report). Each builtin checks its
// arguments, turns them into plain Go specs (nn.ModelSpec, nn.TrainConfig,
// results.Trial) and leaves the running of trials to the Runner that the
// runtime puts on the thread.
package builtins

// This file is the contract between builtins and runtime.

import (
	"context"
	"fmt"
	"io"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// Job is one trial to run with the data it trains on (shared read-only).
type Job struct {
	Trial results.Trial
	Data  *data.Splits
	Label string // short human label for progress lines, e.g. "filter_size=3 seed=0"
}

// Runner trains jobs — from the cache where possible, in parallel otherwise —
// and returns their records in the order of jobs. A diverged trial is a
// record, not an error; an error means the run cannot go on (cancelled,
// disk full). In check mode (pipe check) the runtime's Runner trains nothing.
type Runner interface {
	Run(ctx context.Context, group string, jobs []Job) ([]results.Record, error)
}

// Env is what one run of a pipeline gives its builtins. It travels on the
// Starlark thread (SetEnv / EnvOf), never in globals.
type Env struct {
	Ctx       context.Context
	Stdout    io.Writer         // tables and check lines for the user
	OutDir    string            // results/<pipeline>; builtins write only under it
	Runner    Runner            // trains trials
	CheckOnly bool              // pipe check: validate everything, train nothing
	Params    map[string]string // -p name=value overrides, consumed by param()
	Used      map[string]bool   // param names declared so far (unknown -p names are an error)

	slugs map[string]int // table and figure file names used so far; see uniqueSlug
}

const envKey = "pipe.env"

// SetEnv attaches env to thread.
func SetEnv(thread *starlark.Thread, env *Env) { thread.SetLocal(envKey, env) }

// EnvOf returns the Env attached to thread, or nil.
func EnvOf(thread *starlark.Thread) *Env {
	env, _ := thread.Local(envKey).(*Env)
	return env
}

// uniqueSlug returns slug, or slug-2, slug-3, ... when an earlier table
// (kind "tables") or figure ("figures") of this run used it, so that a
// pipeline's outputs never overwrite each other. Builtins run on the
// evaluating thread only, so this needs no lock.
func (env *Env) uniqueSlug(kind, slug string) string {
	if env.slugs == nil {
		env.slugs = map[string]int{}
	}
	k := kind + "/" + slug
	env.slugs[k]++
	if n := env.slugs[k]; n > 1 {
		return fmt.Sprintf("%s-%d", slug, n)
	}
	return slug
}
