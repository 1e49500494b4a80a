package builtins

// This file is the contract between builtins and runtime.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// Job is one trial to run with the data it trains on (shared read-only).
type Job struct {
	Trial results.Trial
	Data  *data.Splits
	Label string               // short human label for progress lines, e.g. "filter_size=3 seed=0"
	Init  map[string][]float32 // warm-start weights by parameter name (Trial.InitFrom names them); nil: random
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
	Stderr    io.Writer         // warnings, all of them (stdout holds results)
	OutDir    string            // out/<pipeline>; builtins write only under it
	Runner    Runner            // trains trials
	CheckOnly bool              // pipe check: validate everything, train nothing
	Params    map[string]string // -p name=value overrides, consumed by param()
	Used      map[string]bool   // param names declared so far (unknown -p names are an error)
	Models    ModelStore        // kept weights and evaluations (export, evaluate); nil: none

	// Manifest collects everything the run renders — check lines, tables,
	// figures, the report — attributed to the pipeline file whose code made
	// it; the runtime writes it as <OutDir>/manifest.json after a successful
	// run, and pipe report renders from it. Nil records nothing (report()
	// then has nothing to show).
	Manifest *results.Manifest

	// Data is what dataset has read; nil makes a cache of this Env's own
	// on first use. Runs that share one read each data set once.
	Data *DataCache

	unfinished []string // searches stopped at an unfinished round; see Unfinished

	file  string         // the Manifest path of the file executing; see EnterFile
	recs  recordSet      // records shown by table() and plot(), by key, for report()
	slugs map[string]int // table and figure file names used so far; see uniqueSlug
}

// EnterFile tells the Env that the pipeline file path (relative to the main
// file's folder, with forward slashes) starts executing, with doc as its
// leading comment; what it renders until the returned function is called is
// attributed to it. The runtime's loader calls it for the main file and for
// every file loaded, so a pipeline loaded from another (report.star loading
// dropout.star) has its tables in its own report section.
func (env *Env) EnterFile(path, doc string) (leave func()) {
	if env.Manifest != nil {
		env.Manifest.Files = append(env.Manifest.Files, results.SourceFile{Path: path, Doc: doc})
	}
	prev := env.file
	env.file = path
	return func() { env.file = prev }
}

// Unfinished describes the searches of the run that stopped before their
// last round because a round had trials this run did not train (another
// shard's, or all of them in pipe check): "search lr (tpe) stopped at
// round 2 of 3".
func (env *Env) Unfinished() []string { return env.unfinished }

// addItem appends it, attributed to the executing file, to the manifest, and
// remembers the records it shows for report().
func (env *Env) addItem(it results.Item, recs []results.Record) {
	if env.Manifest == nil {
		return
	}
	it.File = env.file
	env.Manifest.Items = append(env.Manifest.Items, it)
	if env.recs == nil {
		env.recs = recordSet{}
	}
	for _, r := range recs {
		env.recs[r.Key] = r
	}
}

// printCheck prints the verdict lines of the check name and keeps them
// for the manifest, so that the report shows what the run printed.
func (env *Env) printCheck(name string, lines ...string) {
	for _, line := range lines {
		fmt.Fprintln(env.stdout(), line)
	}
	if len(lines) > 0 {
		env.addItem(results.Item{Check: &results.CheckSpec{Name: name, Lines: lines}}, nil)
	}
}

// recordSet is a results.Getter over the records a run has shown, so that
// report() renders its tables exactly as pipe report will from the trial
// store.
type recordSet map[string]results.Record

func (s recordSet) Get(key string) (results.Record, bool, error) {
	r, ok := s[key]
	return r, ok, nil
}

// stdout returns where user-facing lines go.
func (env *Env) stdout() io.Writer {
	if env.Stdout == nil {
		return io.Discard
	}
	return env.Stdout
}

func (env *Env) stderr() io.Writer {
	if env.Stderr == nil {
		return io.Discard
	}
	return env.Stderr
}

// envFor returns the thread's Env, or an error naming the builtin when the
// runtime did not set one.
// dataCache is env.Data, made on first use.
func (env *Env) dataCache() *DataCache {
	if env.Data == nil {
		env.Data = &DataCache{}
	}
	return env.Data
}

func envFor(thread *starlark.Thread, fn string) (*Env, error) {
	env := EnvOf(thread)
	if env == nil {
		return nil, fmt.Errorf("%s: no pipeline environment on this thread (the runtime must call builtins.SetEnv)", fn)
	}
	return env, nil
}

// relOut returns path as messages show it: relative to the working
// directory when it lies below it (out/filter_size/figures/x.png, which
// the user can open as printed), else as it is.
func (env *Env) relOut(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	if rel, err := filepath.Rel(wd, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
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
