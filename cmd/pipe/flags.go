package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pipe-ml/pipe/claim"
	"github.com/pipe-ml/pipe/runtime"
)

// runFlags are the command line of pipe run and pipe check.
type runFlags struct {
	file   string
	params map[string]string
	out    string
	jobs   int
	rerun  bool
	quiet  bool
	shard  runtime.Shard
	worker bool
	lease  time.Duration

	maxMemory   sizeFlag      // 0: no limit
	evalTimeout time.Duration // 0: no limit
}

const runUsage = `Usage: pipe run FILE [-p name=value]... [--out DIR] [--jobs N] [--rerun] [-q] [--shard i/n | --worker] [--lease D]

Evaluates the pipeline FILE, trains every trial it asks for that is not
already in the cache (in parallel), and prints its tables. Tables, plots,
the report and manifest.json are written under out/<FILE name without
.star>/; trial records go to the store all pipelines share, out/trials/
(with --out DIR, or PIPE_OUT=DIR in the environment: DIR/<name>/ and
DIR/trials/).
Files of earlier runs that this run does not rewrite are left in place.
Ctrl-C stops the run; finished trials are kept and the next run resumes.

Several runs may share one output root at once, on one machine or on many
sharing a folder: a run claims each trial before training it (a file in
DIR/claims/ it renews while training), waits for trials that another live
run is training, and takes over a trial whose claim has not been renewed
for --lease (its process was killed or its machine died).

To spread a pipeline over many processes (a Slurm job array, a Kubernetes
Indexed Job), start the same command with --worker in each: workers claim
trials until none is left, wait for the others' to finish, and all render
the same tables; each prints, per sweep, how many trials it trained.

--shard i/n is the static alternative: the pipeline's trials are dealt
round-robin over n shards (sorted by cache key, cached ones included, so
every shard computes the same split and shards differ by at most one
trial); shard i trains only its own, prints what it trained per sweep,
and renders nothing, since other shards' results are missing. When all
shards are done, run the same command without --shard to render.

Flags:
`

const checkUsage = `Usage: pipe check FILE [-p name=value]... [--out DIR] [--jobs N]

Evaluates the pipeline FILE without training: every argument and every
model's shapes are validated, and the trials a run would train are listed
with their cache keys, the tables and plots it would render, and an
estimate of the training time: a few training steps of each model shape
are timed (a moment each) and multiplied by the steps each trial would run,
on --jobs workers as pipe run would share them; cached trials cost nothing.
Nothing is trained or written.

Flags:
`

// sizeFlag is a byte count given as a number with an optional binary unit
// (K, M, G, T, with or without "iB" or "B": 512M, 4GiB); 0 means no limit.
type sizeFlag int64

func (s *sizeFlag) String() string {
	if *s == 0 {
		return "0"
	}
	return strings.ReplaceAll(runtime.FormatSize(int64(*s)), " ", "")
}

func (s *sizeFlag) Set(v string) error {
	num := strings.TrimRight(v, "KMGTkmgtiB")
	unit := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(v[len(num):], "B"), "i"))
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}
	sh, ok := shift[unit]
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || n < 0 || n*float64(uint64(1)<<sh) >= 1<<62 {
		return fmt.Errorf("want a size such as 512MiB or 4GiB, got %q", v)
	}
	*s = sizeFlag(n * float64(uint64(1)<<sh))
	return nil
}

// paramFlag collects repeated -p name=value flags.
type paramFlag map[string]string

func (p paramFlag) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, " ")
}

func (p paramFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if !isIdent(name) {
		return fmt.Errorf("parameter name %q is not a Starlark identifier", name)
	}
	if _, dup := p[name]; dup {
		return fmt.Errorf("parameter %s given twice", name)
	}
	p[name] = value
	return nil
}

// isIdent reports whether s is a valid Starlark identifier, which is what
// param() names are.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// parseRunFlags parses the arguments of run or check. Flags may come before
// or after FILE. Problems are reported on stderr with the usage text and
// returned as an error (exit 2); --help prints the usage on stdout and
// returns errHelp (exit 0).
func parseRunFlags(args []string, stdout, stderr io.Writer, check bool) (*runFlags, error) {
	name, text := "run", runUsage
	if check {
		name, text = "check", checkUsage
	}
	c := newCommand("pipe "+name, text, stdout, stderr)
	f := &runFlags{params: map[string]string{}}
	var shard string
	c.fs.Var(paramFlag(f.params), "p", "set the pipeline parameter `name=value` declared with param() (repeatable)")
	c.fs.StringVar(&f.out, "out", "", "use `DIR` as the output root: outputs in DIR/<pipeline>, records in DIR/trials (default $PIPE_OUT, else out)")
	f.maxMemory = sizeFlag(runtime.DefaultMaxMemory)
	c.fs.Var(&f.maxMemory, "max-memory", "stop evaluating the pipeline (training excluded) when it holds more than `SIZE` of memory, e.g. 512MiB, 4GiB; 0 for no limit")
	c.fs.DurationVar(&f.evalTimeout, "eval-timeout", runtime.DefaultEvalTimeout, "stop evaluating the pipeline when it has run for `D` (e.g. 30s, 10m), training excluded; 0 for no limit")
	if check {
		c.fs.IntVar(&f.jobs, "jobs", 0, "estimate the training time for `N` trials at once (default, or 0: the number of CPUs)")
	} else {
		c.fs.IntVar(&f.jobs, "jobs", 0, "train at most `N` trials at once (default, or 0: the number of CPUs)")
		c.fs.BoolVar(&f.rerun, "rerun", false, "retrain every trial, even those in the cache (each once, however many sweeps share it)")
		c.fs.BoolVar(&f.quiet, "q", false, "quiet: no progress output, only tables and errors")
		c.fs.StringVar(&shard, "shard", "", "train only shard `i/n` (1 <= i <= n) of the pipeline's trials and render nothing; see above")
		c.fs.BoolVar(&f.worker, "worker", false, "run as one of many workers sharing the output root; see above")
		c.fs.DurationVar(&f.lease, "lease", claim.DefaultLease, "take over another run's trial when its claim has not been renewed for `D` (e.g. 90s, 5m)")
	}
	files, err := c.parse(args)
	if err != nil {
		return nil, err
	}
	switch {
	case len(files) == 0:
		return nil, c.fail(errors.New("missing FILE (a .star pipeline)"))
	case len(files) > 1:
		return nil, c.fail(fmt.Errorf("want one FILE, got %d: %s", len(files), quoteList(files)))
	case f.evalTimeout < 0:
		return nil, c.fail(fmt.Errorf("--eval-timeout must not be negative, got %s", f.evalTimeout))
	case f.jobs < 0:
		return nil, c.fail(fmt.Errorf("--jobs must be at least 1 (or 0 for the number of CPUs), got %d", f.jobs))
	case !check && f.lease <= 0:
		return nil, c.fail(fmt.Errorf("--lease must be a positive duration, got %s", f.lease))
	case f.worker && shard != "":
		return nil, c.fail(errors.New("--worker and --shard are two ways to split a pipeline; use one"))
	case f.worker && f.rerun:
		return nil, c.fail(errors.New("--rerun with --worker would retrain every trial in every worker; run one pipe run --rerun instead"))
	}
	if shard != "" {
		if f.shard, err = runtime.ParseShard(shard); err != nil {
			return nil, c.fail(fmt.Errorf("--shard: %v", err))
		}
	}
	f.file = files[0]
	return f, nil
}
