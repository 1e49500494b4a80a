package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/claim"
	"github.com/pipe-ml/pipe/results"
)

// workerName is "host:pid", how a worker's account lines and claims name it.
func workerName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// DefaultMaxSteps bounds the Starlark evaluation of a pipeline. Building
// specs and tables takes thousands of steps; 1e8 (about a second or two of
// pure Starlark work) is only reached by a loop that never ends.
const DefaultMaxSteps = 100_000_000

// fileOptions are the Starlark dialect of pipelines: sets, while loops and
// top-level if/for are allowed because pipelines are scripts, global
// reassignment because parameters are often refined step by step;
// recursion stays off so that runaway recursion is an error, not a hang.
var fileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	GlobalReassign:  true,
	Recursion:       false,
}

// Options configure one run of a pipeline.
type Options struct {
	File   string            // the .star file
	Params map[string]string // -p name=value overrides
	OutDir string            // "" means out/<file name without .star>; the trial store is beside it (see Store)
	Jobs   int               // trials trained at once; <= 0 means the number of CPUs
	Rerun  bool              // retrain trials even if cached (each once per run)
	// CheckOnly evaluates the pipeline and validates every argument and
	// shape but trains nothing; trials that would train get placeholder
	// records with Status "not run".
	CheckOnly bool
	// Shard, if enabled (--shard i/n), trains only the uncached trials
	// whose key the shard owns, so that machines sharing the trial store
	// can split a sweep. Other shards' results are missing, so a shard run
	// renders nothing (builtins run as in check mode, silently) and writes
	// no manifest; a later run without a shard finds every trial cached
	// and renders.
	Shard Shard
	// Worker marks one of several processes sharing the output root
	// (pipe run --worker): after each sweep it prints how many trials it
	// trained and how many other processes did. Every run claims its
	// trials and waits for those others hold, worker or not.
	Worker bool
	// Lease is how long another process's claim may go unrenewed before
	// this run takes its trial over; 0 means claim.DefaultLease.
	Lease    time.Duration
	Observer Observer  // progress; nil shows none
	Stdout   io.Writer // print(), tables, check listings; nil discards
	Stderr   io.Writer // every warning; nil discards

	// Predeclared are the names pipelines see; nil means builtins.Predeclared().
	Predeclared starlark.StringDict
	// Store holds records; nil means the trial store shared by every
	// pipeline under the same output root: results.Cache{Dir: the parent
	// of OutDir}, i.e. <root>/trials/<key>.json, with its claims in
	// <root>/claims.
	Store Store
	// Claims is the claims folder for Store; nil means <root>/claims when
	// Store is nil, and no claiming when a Store is given without it.
	Claims *claim.Dir
	// Train trains one trial; nil means nn.Train.
	Train TrainFunc
	// Time times a model's steps for check mode's estimate; nil means
	// nn.TimeSteps.
	Time TimeFunc
	// MaxSteps bounds evaluation; 0 means DefaultMaxSteps.
	MaxSteps uint64
	// MaxMemory bounds the Go heap while the pipeline is evaluated
	// (training excluded), in bytes; 0 means DefaultMaxMemory, < 0 none.
	MaxMemory int64
	// EvalTimeout bounds the wall-clock time of evaluation, training
	// excluded; 0 means DefaultEvalTimeout, < 0 none.
	EvalTimeout time.Duration
}

// DefaultRoot is the output root without --out or $PIPE_OUT: every
// pipeline's folder and the shared trial store live under it. It is no Go
// package's folder (results/ was, so a first run wrote trials among the
// results package's sources).
const DefaultRoot = "out"

// LegacyRoot is the output root of pipe before DefaultRoot became out/; its
// records are not read by default (the CLI says how to move them), but
// pipe report still renders its pipeline folders in place.
const LegacyRoot = "results"

// DefaultOutDir is where the tables, figures, report and manifest of file
// go without --out: out/<file name without .star>.
func DefaultOutDir(file string) string {
	return OutDir(DefaultRoot, file)
}

// OutDir is the output folder of file under root: <root>/<file name
// without .star>. The trial store is <root>/trials, beside it.
func OutDir(root, file string) string {
	return filepath.Join(root, strings.TrimSuffix(filepath.Base(file), ".star"))
}

// Run evaluates opt.File with the builtins, training the trials it asks for.
// Every error it returns is a *UserError whose message is ready to print:
// a backtrace or position naming the user's .star file and line, or (after
// Ctrl-C) "interrupted: K of N trials finished and saved". It wraps the
// cause, so errors.Is(err, context.Canceled) tells an interrupt.
func Run(ctx context.Context, opt Options) error {
	stdout, stderr := opt.Stdout, opt.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	outDir := opt.OutDir
	if outDir == "" {
		outDir = DefaultOutDir(opt.File)
	}
	if filepath.Base(outDir) == results.TrialsDir {
		// out/trials is the trial store; a pipeline's tables there would
		// be mixed in with (and listed as) records.
		return &UserError{Msg: fmt.Sprintf("%s: a pipeline named %q would write into the shared trial store %s; rename the file", opt.File, results.TrialsDir, outDir)}
	}
	store, claims := opt.Store, opt.Claims
	if store == nil {
		// One store for every pipeline under the root, so a trial trained
		// by one (the base model, in every sweep) is cached for all.
		root := filepath.Dir(outDir)
		store = &results.Cache{Dir: root}
		if claims == nil {
			claims = &claim.Dir{Path: filepath.Join(root, claim.DirName)}
		}
	}
	if claims != nil {
		if opt.Lease > 0 {
			claims.Lease = opt.Lease
		}
		if claims.Warn == nil {
			claims.Warn = func(msg string) { fmt.Fprintf(stderr, "warning: %s\n", msg) }
		}
	}
	worker := ""
	if opt.Worker {
		worker = workerName()
	}
	predeclared := opt.Predeclared
	if predeclared == nil {
		predeclared = builtins.Predeclared()
	}
	maxSteps := opt.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	maxMemory := opt.MaxMemory
	if maxMemory == 0 {
		maxMemory = DefaultMaxMemory
	}
	evalTimeout := opt.EvalTimeout
	if evalTimeout == 0 {
		evalTimeout = DefaultEvalTimeout
	}
	params := opt.Params
	if params == nil {
		params = map[string]string{}
	}

	observer := opt.Observer
	if opt.Store == nil && !opt.CheckOnly {
		// pipe serve shows the trials being trained from their progress
		// files, beside the trial store.
		observer = newLiveObserver(observer, filepath.Dir(outDir), filepath.Base(opt.File))
	}
	sched := &Scheduler{
		Store:     store,
		Jobs:      opt.Jobs,
		Rerun:     opt.Rerun,
		CheckOnly: opt.CheckOnly,
		Shard:     opt.Shard,
		Claims:    claims,
		Worker:    worker,
		Observer:  observer,
		Out:       stdout,
		Warn:      stderr,
		Train:     opt.Train,
		Time:      opt.Time,
	}
	// A shard run has only its share of the results, so the builtins take
	// their check-mode path (no tables, figures, report, or checks that
	// judge trained numbers) and their check-mode notes, which would speak
	// of check mode, are not shown: the closing line below explains.
	sharded := opt.Shard.Enabled() && !opt.CheckOnly
	builtinsOut := stdout
	if sharded {
		builtinsOut = io.Discard
	}
	env := &builtins.Env{
		Ctx:       ctx,
		Stdout:    builtinsOut,
		Stderr:    stderr,
		OutDir:    outDir,
		CheckOnly: opt.CheckOnly || sharded,
		Params:    params,
		Used:      map[string]bool{},
		Manifest:  &results.Manifest{Version: results.ManifestVersion, Pipeline: filepath.Base(opt.File)},
	}
	if m, ok := store.(builtins.ModelStore); ok {
		env.Models = m
	}

	g := newEvalGuard(maxMemory, evalTimeout)
	defer g.close()
	env.Runner = pausingRunner{sched, g}

	ld := newLoader(fileOptions, guard(boundSizes(predeclared, maxMemory)))
	mainDir := filepath.Dir(filepath.Clean(opt.File))
	ld.enter = func(path string, src []byte) func() {
		// Paths relative to the main file, so the manifest (and the report
		// made from it) does not depend on the folder pipe was run from.
		rel, err := filepath.Rel(mainDir, path)
		if err != nil {
			rel = path
		}
		return env.EnterFile(filepath.ToSlash(rel), leadingComment(src))
	}
	printed := false // by print(): pipe check then says what untrained results hold
	thread := &starlark.Thread{
		Name: opt.File,
		Print: func(_ *starlark.Thread, msg string) {
			printed = true
			fmt.Fprintln(stdout, EscapeControls(msg))
		},
		Load: ld.load,
		OnMaxSteps: func(th *starlark.Thread) {
			th.Cancel(fmt.Sprintf("the pipeline ran away: more than %d evaluation steps (an endless loop?)", maxSteps))
		},
	}
	thread.SetMaxExecutionSteps(maxSteps)
	builtins.SetEnv(thread, env)
	sched.beforeTraining = func() error {
		return checkParams(opt.File, env, "before its first train or sweep")
	}

	// Ctrl-C and the limits stop Starlark code between steps; builtins that
	// train see the same ctx through Env.Ctx and return promptly. A builtin
	// that computes for long (str of a deeply nested list) cannot be
	// interrupted: once the grace has passed, evaluation is abandoned, and
	// the process ends with the error below. Training is never abandoned,
	// so every trial finished before the stop is saved.
	done := make(chan struct{})
	defer close(done)
	stops := g.watch(ctx, thread, done)
	evaluated := make(chan error, 1)
	go func() { evaluated <- execGuarded(thread, ld, opt.File) }()
	var err error
	select {
	case err = <-evaluated:
	case st := <-stops:
		grace := stopGrace
		if st.memory {
			grace = memoryStopGrace
		}
		timer := time.NewTimer(grace)
		defer timer.Stop()
		for err == nil {
			select {
			case err = <-evaluated:
				if err == nil { // finished before it noticed the stop
					err = errEvaluatedAnyway
				}
			case <-timer.C:
				if g.isTraining() { // the scheduler stops and saves promptly
					timer.Reset(watchEvery)
					continue
				}
				err = &abandonedError{file: opt.File, reason: st.reason}
			}
		}
		if err == errEvaluatedAnyway {
			err = nil
		}
	}
	var ab *abandonedError
	if errors.As(err, &ab) && ctx.Err() == nil {
		return &UserError{Msg: ab.Error(), cause: ab}
	}
	if err != nil && ctx.Err() != nil {
		// Whatever failed, it failed because the user interrupted; a run
		// that completed before the signal was noticed is a success.
		if ie := sched.Interrupted(); ie != nil {
			return &UserError{Msg: ie.Error(), cause: ie}
		}
		finished, total := sched.Progress()
		ie := &InterruptedError{Finished: finished, Total: total, cause: ctx.Err()}
		return &UserError{Msg: ie.Error(), cause: ie}
	}
	var pe *ParamsError
	if errors.As(err, &pe) { // builtins wrap the Runner's errors with %w
		return &UserError{Msg: pe.Error(), cause: pe} // a command-line problem: no traceback
	}
	if err != nil {
		return &UserError{Msg: EscapeControls(formatError(err, predeclared)), cause: err}
	}
	if err := checkParams(opt.File, env, ""); err != nil {
		return &UserError{Msg: err.Error(), cause: err}
	}
	if sharded {
		fmt.Fprintf(stdout, "shard %s done: its trials are saved; tables, figures and the report are not rendered in a shard run.\n"+
			"Once every shard has finished, run the same command without --shard to render them from the cache.\n", opt.Shard)
		for _, u := range env.Unfinished() {
			// A search's next round is proposed from this round's results,
			// which other shards are still training.
			fmt.Fprintf(stdout, "%s: its next round depends on every shard's results of this one.\n"+
				"Run the shards again once all have finished (each goes one round further), or once without --shard to finish it.\n", u)
		}
		return nil
	}
	if opt.CheckOnly {
		for _, u := range env.Unfinished() {
			fmt.Fprintf(stdout, "%s: later rounds depend on its results, so only the trials up to it are listed\n", u)
		}
		if e := sched.Estimated(); e.Trials > 0 {
			fmt.Fprintf(stdout, "estimated training time in all: %s for %s with --jobs %d (%.0f core-s; %s timed for a moment each; cached trials cost nothing; an estimate, not a promise)\n",
				roughly(e.Wall), plural(e.Trials, "trial"), sched.workers(), e.CoreSeconds, plural(e.Shapes, "model shape"))
			if printed {
				fmt.Fprintln(stdout, "note: pipe check trains nothing, so what print() showed of the results still to train (accuracies, losses) is 0, not a result")
			}
		}
	}
	if !opt.CheckOnly {
		// Only a complete run gets a manifest: pipe report must never
		// rebuild half a study and present it as the whole.
		if _, err := results.WriteManifest(outDir, env.Manifest); err != nil {
			return &UserError{Msg: fmt.Sprintf("%s: %v", opt.File, err), cause: err}
		}
	}
	return nil
}

// errEvaluatedAnyway marks an evaluation that completed although a stop
// was asked for meanwhile.
var errEvaluatedAnyway = errors.New("evaluated")

// abandonedError is an evaluation stopped inside a builtin that did not
// return within the grace: its position is not known, only its file.
type abandonedError struct{ file, reason string }

func (e *abandonedError) Error() string {
	return fmt.Sprintf("%s: %s; stopped inside an operation that could not be interrupted", e.file, e.reason)
}

// execGuarded runs the main file. Builtins are guarded one by one (see
// guard) so that a panic is reported at its call site; this recover is the
// last line for panics that escape elsewhere (a method of a value a builtin
// returned), where only the file can be named.
func execGuarded(thread *starlark.Thread, ld *loader, file string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w", file, &InternalError{Value: r, Stack: debug.Stack()})
		}
	}()
	_, err = ld.exec(thread, filepath.Clean(file))
	return err
}

// ParamsError is a -p name that the pipeline does not declare with param():
// bad usage of the command line, so pipe exits with status 2.
type ParamsError struct {
	File     string
	Unknown  []string // sorted
	Declared []string // sorted
	When     string   // "" after the whole file ran, else when it was checked
}

func (e *ParamsError) Error() string {
	noun := "parameter"
	if len(e.Unknown) > 1 {
		noun = "parameters"
	}
	what := "it declares no parameters"
	if len(e.Declared) > 0 {
		what = "it declares " + strings.Join(e.Declared, ", ")
	}
	if e.When != "" {
		what += " " + e.When
	}
	var hints []string
	for _, u := range e.Unknown {
		if d := Closest(u, e.Declared); d != "" && len(e.Unknown) == 1 {
			hints = append(hints, "-p "+d)
		} else if d != "" {
			hints = append(hints, "-p "+d+" for -p "+u)
		}
	}
	hint := ""
	if len(hints) > 0 {
		hint = "did you mean " + strings.Join(hints, ", ") + "? "
	}
	return fmt.Sprintf("%s: unknown %s -p %s (%s%s)", e.File, noun, strings.Join(e.Unknown, ", -p "), hint, what)
}

// Closest returns the name in names nearest to s by edit distance, if it is
// near enough to be a slip (at most a third of the longer name's letters,
// and at least one), else "". Misspelt -p names, builtins, flags and
// commands get their "did you mean" from it.
func Closest(s string, names []string) string {
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(s, n)
		if d <= max(1, max(len(s), len(n))/3) && (best == "" || d < bestD) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkParams reports -p names that the pipeline has not declared with
// param(): a misspelt override would otherwise be silently ignored. The
// runtime checks once when the first trials are asked for (so a typo does
// not cost a sweep; when says so, and parameters must be declared before the
// first train or sweep) and once after the whole file ran.
func checkParams(file string, env *builtins.Env, when string) error {
	var unknown []string
	for name := range env.Params {
		if !env.Used[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	declared := make([]string, 0, len(env.Used))
	for name := range env.Used {
		declared = append(declared, name)
	}
	slices.Sort(declared)
	return &ParamsError{File: file, Unknown: unknown, Declared: declared, When: when}
}
