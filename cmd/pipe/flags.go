package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

// errHelp means --help was asked for and printed.
var errHelp = errors.New("help requested")

// runFlags are the command line of pipe run and pipe check.
type runFlags struct {
	file   string
	params map[string]string
	out    string
	jobs   int
	rerun  bool
	quiet  bool
}

const runUsage = `Usage: pipe run FILE [-p name=value]... [--out DIR] [--jobs N] [--rerun] [-q]

Evaluates the pipeline FILE, trains every trial it asks for that is not
already in the cache (in parallel), and prints its tables. Tables, plots,
the report and manifest.json are written under results/<FILE name without
.star>/; trial records go to the store all pipelines share, results/trials/
(with --out DIR: DIR/<name>/ and DIR/trials/).
Ctrl-C stops the run; finished trials are kept and the next run resumes.

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
	f := &runFlags{params: map[string]string{}}
	fs := flag.NewFlagSet("pipe "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(paramFlag(f.params), "p", "set the pipeline parameter `name=value` declared with param() (repeatable)")
	fs.StringVar(&f.out, "out", "", "use `DIR` as the output root: outputs in DIR/<pipeline>, records in DIR/trials (default results)")
	if !check {
		fs.IntVar(&f.jobs, "jobs", 0, "train at most `N` trials at once (default: the number of CPUs)")
		fs.BoolVar(&f.rerun, "rerun", false, "retrain every trial, even those in the cache")
		fs.BoolVar(&f.quiet, "q", false, "quiet: no progress output, only tables and errors")
	}
	// flag calls Usage on every parse error, --help included, on its output;
	// silence that and print the usage ourselves: stdout for --help, stderr
	// after a problem.
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, text)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}

	var files []string
	var err error
	for {
		if err = fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(stdout)
				return nil, errHelp
			}
			printUsage(stderr) // after flag's line naming the problem
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		files = append(files, args[0])
		args = args[1:]
	}
	switch {
	case len(files) == 0:
		err = errors.New("missing FILE (a .star pipeline)")
	case len(files) > 1:
		err = fmt.Errorf("want one FILE, got %d: %s", len(files), quoteList(files))
	case f.jobs < 0:
		err = fmt.Errorf("--jobs must be at least 1, got %d", f.jobs)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		printUsage(stderr)
		return nil, err
	}
	f.file = files[0]
	return f, nil
}
