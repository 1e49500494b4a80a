// Command pipe runs convolutional-network experiments described in Starlark
// pipeline files: it trains every trial a pipeline asks for (in parallel,
// cached, reproducibly) and prints its comparison tables.
//
//	pipe run FILE [-p name=value]... [--out DIR] [--jobs N] [--rerun] [-q] [--shard i/n | --worker] [--lease D]
//	pipe check FILE [-p name=value]... [--out DIR] [--jobs N]
//	pipe report DIR [--trials DIR]
//	pipe serve [DIR] [--addr 127.0.0.1:8080]
//	pipe diff KEY KEY... [--trials DIR]
//	pipe export KEY FILE [--out DIR]
//	pipe export --records DIR
//	pipe du [--out DIR]
//	pipe gc [--keep weights|records] [--max-size SIZE] [--out DIR]
//	pipe version
//	pipe help [COMMAND]
//
// Exit status: 0 on success, 1 when the pipeline or check fails, 2 on bad
// usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/runtime"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the pipeline or check failed
	exitUsage = 2 // bad command line
)

const usage = `pipe runs convolutional-network experiments described in Starlark files.

Usage:
  pipe run FILE [-p name=value]... [--out DIR] [--jobs N] [--rerun] [-q] [--shard i/n | --worker] [--lease D]
  pipe check FILE [-p name=value]... [--out DIR] [--jobs N]
  pipe report DIR [--trials DIR]
  pipe serve [DIR] [--addr 127.0.0.1:8080]
  pipe diff KEY KEY... [--trials DIR]
  pipe export KEY FILE [--out DIR]
  pipe export --records DIR > runs.jsonl
  pipe du [--out DIR]
  pipe gc [--keep weights|records] [--max-size SIZE] [--out DIR]
  pipe version
  pipe help [COMMAND]

Commands:
  run      evaluate FILE, train the trials it asks for (cached ones are
           reused) and print its tables
  check    evaluate FILE without training: validate every argument and
           model shape, list the trials a run would train and estimate
           how long they would take
  report   rebuild the tables, figures and report of an output folder
           from its manifest and the cached records, without training
  serve    a read-only dashboard of the results in a browser: trials,
           comparisons, pipelines, live progress of running trials
  diff     the settings two trials differ in and their results, side by side
  export   write a trial's kept weights as safetensors (PyTorch, JAX), or
           with --records every trial as one JSON object per line
  du       print the trial store's size by kind (records, states, weights)
  gc       remove states (and weights) from the store, never records
  version  print pipe's version, numerics version and Go version
  help     print this text, or a command's flags

Outputs go to out/<FILE name without .star>/ (DIR/<name>/ with --out DIR or
PIPE_OUT=DIR); trial records are shared by every pipeline in out/trials/
(DIR/trials/).
Run 'pipe COMMAND --help' for a command's flags.
Exit status: 0 success, 1 failed pipeline or check, 2 bad usage.
`

func main() { os.Exit(pipeMain(os.Args[1:], os.Stdout, os.Stderr)) }

// pipeMain is the whole program; it returns the exit status.
func pipeMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "help", "-h", "-help", "--help":
		return helpCmd(rest, stdout, stderr)
	}
	if c, ok := commands[cmd]; ok {
		return c(rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "pipe: unknown command %q%s\n\n%s", cmd, commandHint(cmd), usage)
	return exitUsage
}

// fileHint is " (did you mean tenclass.star?)" when a .star file beside
// the missing file is a near miss of its name.
func fileHint(file string) string {
	dir := filepath.Dir(file)
	matches, _ := filepath.Glob(filepath.Join(dir, "*.star"))
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(m)
	}
	if n := runtime.Closest(filepath.Base(file), names); n != "" {
		return fmt.Sprintf(" (did you mean %s?)", filepath.Join(dir, n))
	}
	return ""
}

// commandHint is " (did you mean check?)" for a near miss of a command.
func commandHint(cmd string) string {
	names := []string{"help"}
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names) // one answer whatever the map's order
	if n := runtime.Closest(cmd, names); n != "" {
		return fmt.Sprintf(" (did you mean %s?)", n)
	}
	return ""
}

// commands are pipe's subcommands by name, each given the arguments after
// its name; `pipe help NAME` runs NAME --help.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"run":     func(args []string, stdout, stderr io.Writer) int { return runCmd(args, stdout, stderr, false) },
	"check":   func(args []string, stdout, stderr io.Writer) int { return runCmd(args, stdout, stderr, true) },
	"report":  reportCmd,
	"serve":   serveCmd,
	"diff":    diffCmd,
	"version": versionCmd,
	"export":  exportCmd,
	"du":      duCmd,
	"gc":      gcCmd,
}

func helpCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if c, ok := commands[args[0]]; ok {
		return c([]string{"--help"}, stdout, stderr)
	}
	fmt.Fprintf(stderr, "pipe help: unknown command %q%s\n\n%s", args[0], commandHint(args[0]), usage)
	return exitUsage
}

// runCmd implements pipe run and pipe check.
func runCmd(args []string, stdout, stderr io.Writer, check bool) int {
	f, err := parseRunFlags(args, stdout, stderr, check)
	if err != nil {
		return exitCode(err)
	}

	if _, err := os.Stat(f.file); errors.Is(err, fs.ErrNotExist) {
		// Said before any output folder is made: a misspelt FILE left an
		// empty out/<name>/ behind.
		fmt.Fprintf(stderr, "%s: no such file%s\n", f.file, fileHint(f.file))
		return exitFail
	}
	root := outRoot(f.out)
	if root == runtime.DefaultRoot {
		legacyNote(stderr)
	}
	outDir := runtime.OutDir(root, f.file)
	if err := checkOut(stderr, root, outDir, check); err != nil {
		name := "run"
		if check {
			name = "check"
		}
		fmt.Fprintf(stderr, "pipe %s: %v\n", name, err)
		return exitUsage
	}

	var obs frontEnd
	switch {
	case f.quiet:
		obs = nopObserver{}
	case check:
		obs = &summaryObserver{w: stdout}
	case isTerminal(stdout):
		obs = newTermObserver(stdout)
	default:
		obs = newPlainObserver(stdout)
	}

	// The first SIGINT or SIGTERM cancels the run: training stops, finished
	// trials stay saved, and the exit status is 1. After it the default
	// handlers are back, so a second Ctrl-C ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var finished atomic.Bool
	go func() {
		<-ctx.Done()
		stop()
		if !finished.Load() {
			announceInterrupt(obs, stderr)
		}
	}()

	err = runtime.Run(ctx, runtime.Options{
		File:        f.file,
		Params:      f.params,
		OutDir:      outDir,
		Jobs:        f.jobs,
		Rerun:       f.rerun,
		Shard:       f.shard,
		Worker:      f.worker,
		Lease:       f.lease,
		CheckOnly:   check,
		Observer:    obs,
		Stdout:      stdout,
		Stderr:      stderr,
		MaxMemory:   noLimit(int64(f.maxMemory)),
		EvalTimeout: time.Duration(noLimit(int64(f.evalTimeout))),
	})
	obs.Close()
	finished.Store(true)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var ie *runtime.InternalError
		if errors.As(err, &ie) && os.Getenv("PIPE_DEBUG") != "" && ie.Stack != nil {
			fmt.Fprintf(stderr, "\n%s", ie.Stack)
		}
		if pe := (*runtime.ParamsError)(nil); errors.As(err, &pe) {
			return exitUsage // a -p name the pipeline does not declare
		}
		return exitFail
	}
	if check {
		fmt.Fprintf(stdout, "%s: ok\n", f.file)
	}
	return exitOK
}

// frontEnd shows a run's progress.
type frontEnd interface {
	runtime.Observer
	// Interrupt ends the live display at once: bars stop and their last
	// frame is drawn, so that a line written next stays where it is
	// (a bar redrawn after it moved the cursor up over it and left a
	// garbled line). Later groups draw no bars.
	Interrupt()
	Close()
}

// announceInterrupt says that the run was interrupted, once the progress
// display has stopped drawing. Bars end on a fresh line of their own;
// otherwise a newline first keeps the message off the line the terminal
// echoed ^C on.
func announceInterrupt(obs frontEnd, stderr io.Writer) {
	obs.Interrupt()
	nl := "\n"
	if _, bars := obs.(*termObserver); bars {
		nl = ""
	}
	fmt.Fprintln(stderr, nl+interruptMessage)
}

const interruptMessage = "pipe: interrupted; saving finished trials (Ctrl-C again quits at once)"

// noLimit turns a flag's 0 ("no limit") into the runtime's -1.
func noLimit(v int64) int64 {
	if v == 0 {
		return -1
	}
	return v
}

// outEnv names the environment variable that sets the output root when
// --out is not given.
const outEnv = "PIPE_OUT"

// outRoot is the output root: --out, else $PIPE_OUT, else out/.
func outRoot(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(outEnv); env != "" {
		return env
	}
	return runtime.DefaultRoot
}

// legacyNote tells a user whose records sit in the output root of older
// pipes (results/trials) that they are no longer read, and how to keep
// them, instead of silently retraining every trial.
func legacyNote(stderr io.Writer) {
	old := filepath.Join(runtime.LegacyRoot, results.TrialsDir)
	recs, _ := filepath.Glob(filepath.Join(old, "*.json"))
	if len(recs) == 0 {
		return
	}
	if _, err := os.Stat(filepath.Join(runtime.DefaultRoot, results.TrialsDir)); err == nil {
		return // already moved, or both in use: the user has chosen
	}
	n := fmt.Sprintf("%d trial records", len(recs))
	if len(recs) == 1 {
		n = "1 trial record"
	}
	fmt.Fprintf(stderr, "pipe: %s holds %s of an older pipe, whose default output root was %s/; "+
		"the default is now %s/ (or --out, or $%s), and they are not read from there.\n"+
		"  To keep them cached: mkdir -p %s && mv %s %s/  (pipe report %s/NAME still works in place)\n",
		old, n, runtime.LegacyRoot, runtime.DefaultRoot, outEnv,
		runtime.DefaultRoot, old, runtime.DefaultRoot, runtime.LegacyRoot)
}

// isTerminal reports whether w is a terminal, where live bars can redraw.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
}

// checkOut makes sure, before anything is evaluated or trained, that the
// output root and the pipeline's folder under it can take the run's files:
// not a regular file, not read-only, not full. pipe check writes nothing,
// so it only refuses a root that exists and is not a folder. A run also
// removes the temp files that killed runs left in the store and the
// pipeline's folders (old enough that no live run can be writing them),
// and says so on stderr.
func checkOut(stderr io.Writer, root, outDir string, check bool) error {
	if check {
		if info, err := os.Stat(root); err == nil && !info.IsDir() {
			return fmt.Errorf("output folder %s: not a directory", root)
		}
		return nil
	}
	trials := filepath.Join(root, results.TrialsDir)
	for _, dir := range []string{trials, outDir} {
		if err := results.CheckWritable(dir); err != nil {
			return fmt.Errorf("output folder %s: %v", dir, err)
		}
	}
	for _, dir := range []string{trials, filepath.Join(root, results.StatesDir), filepath.Join(root, results.WeightsDir),
		outDir, filepath.Join(outDir, "tables"), filepath.Join(outDir, "figures")} {
		if n, _ := results.RemoveStaleTemps(dir, results.StaleTempAge); n > 0 {
			files := "files"
			if n == 1 {
				files = "file"
			}
			fmt.Fprintf(stderr, "pipe: removed %d temp %s of killed runs from %s\n", n, files, dir)
		}
	}
	return nil
}
