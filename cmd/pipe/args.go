package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/pipe-ml/pipe/runtime"
)

// errHelp means --help was asked for and printed.
var errHelp = errors.New("help requested")

// command is one subcommand's flag set and usage text. Every subcommand
// parses and reports problems the same way through it: flags may come before
// or after the positional arguments, --help prints the usage on stdout
// (exit 0), and a problem prints one line naming it, then the usage, on
// stderr (exit 2).
type command struct {
	fs             *flag.FlagSet
	usage          string // printed before the flag defaults
	stdout, stderr io.Writer
}

func newCommand(name, usage string, stdout, stderr io.Writer) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// flag prints its error and calls Usage on every parse error, --help
	// included, on its output; silence both and print them ourselves, on
	// the right stream and with the flags spelt as everywhere else.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &command{fs: fs, usage: usage, stdout: stdout, stderr: stderr}
}

// dashes is how pipe spells a flag in help, usage, messages and README:
// one dash for a one-letter flag (-p, -q), two for a word (--jobs).
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// flagInMessage matches a flag as package flag's errors name it ("-jobs").
var flagInMessage = regexp.MustCompile(`(^|[ :])-([A-Za-z][A-Za-z0-9_-]+)`)

// flagHint is " (did you mean --jobs?)" when err is about an undefined flag
// near enough to one of the command's, else "".
func (c *command) flagHint(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	var names []string
	c.fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if n := runtime.Closest(strings.TrimLeft(name, "-"), names); n != "" {
		return " (did you mean " + dashes(n) + "?)"
	}
	return ""
}

// respell rewrites flag's "-name" in an error message as "--name".
func respell(msg string) string {
	return flagInMessage.ReplaceAllString(msg, "$1--$2")
}

// printUsage writes the usage text and the flags, laid out as
// flag.PrintDefaults does but spelt by dashes.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprint(w, c.usage)
	c.fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + dashes(f.Name)
		if arg != "" {
			line += " " + arg
		}
		if len(line) <= 4 { // "  -q": the text fits on the same line
			line += "\t"
		} else {
			line += "\n    \t"
		}
		line += strings.ReplaceAll(usage, "\n", "\n    \t")
		if d := f.DefValue; d != "" && d != "0" && d != "false" && !strings.Contains(usage, "default") {
			line += fmt.Sprintf(" (default %s)", d)
		}
		fmt.Fprintln(w, line)
	})
}

// parse parses args and returns the positional arguments. It returns
// errHelp after printing the usage for --help, and any other error after
// printing the usage below flag's own line naming the problem.
func (c *command) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printUsage(c.stdout)
				return nil, errHelp
			}
			err = errors.New(respell(err.Error()) + c.flagHint(err))
			fmt.Fprintf(c.stderr, "%s: %v\n", c.fs.Name(), err)
			c.printUsage(c.stderr)
			return nil, err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fail reports a problem with the command line that flag does not see (a
// missing FILE, a bad value) and returns it.
func (c *command) fail(err error) error {
	fmt.Fprintf(c.stderr, "%s: %v\n", c.fs.Name(), err)
	c.printUsage(c.stderr)
	return err
}

// exitCode is the exit status for an error returned by parse or fail.
func exitCode(err error) int {
	if errors.Is(err, errHelp) {
		return exitOK
	}
	return exitUsage
}

// quoteList renders names for messages: "a", "b" and "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
