package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

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
}

const runUsage = `Usage: pipe run FILE [-p name=value]... [--out DIR] [--jobs N] [--rerun] [-q] [--shard i/n]

Evaluates the pipeline FILE, trains every trial it asks for that is not
already in the cache (in parallel), and prints its tables. Tables, plots,
the report and manifest.json are written under out/<FILE name without
.star>/; trial records go to the store all pipelines share, out/trials/
(with --out DIR, or PIPE_OUT=DIR in the environment: DIR/<name>/ and
DIR/trials/).
Files of earlier runs that this run does not rewrite are left in place.
Ctrl-C stops the run; finished trials are kept and the next run resumes.

To split a sweep across machines that share the output root (a Slurm job
array, a Kubernetes Indexed Job), run shard i of n on each with
--shard i/n: it trains only the uncached trials whose cache key falls in
its shard (the same split on every machine, from the key alone), prints
what it trained per sweep, and renders no tables, figures or report, since
other shards' results are missing. When all shards are done, run the same
command without --shard: every trial is cached and everything is rendered.

Flags:
`

const checkUsage = `Usage: pipe check FILE [-p name=value]... [--out DIR]

Evaluates the pipeline FILE without training: every argument and every
model's shapes are validated, and the trials a run would train are listed
with their cache keys. Nothing is trained or written.

Flags:
`

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
	if !check {
		c.fs.IntVar(&f.jobs, "jobs", 0, "train at most `N` trials at once (default: the number of CPUs)")
		c.fs.BoolVar(&f.rerun, "rerun", false, "retrain every trial, even those in the cache (each once, however many sweeps share it)")
		c.fs.BoolVar(&f.quiet, "q", false, "quiet: no progress output, only tables and errors")
		c.fs.StringVar(&shard, "shard", "", "train only shard `i/n` (1 <= i <= n) of the uncached trials and render nothing; see above")
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
	case f.jobs < 0:
		return nil, c.fail(fmt.Errorf("--jobs must be at least 1, got %d", f.jobs))
	}
	if shard != "" {
		if f.shard, err = runtime.ParseShard(shard); err != nil {
			return nil, c.fail(fmt.Errorf("--shard: %v", err))
		}
	}
	f.file = files[0]
	return f, nil
}
