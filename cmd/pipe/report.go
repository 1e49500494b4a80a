package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/pipe-ml/pipe/results"
)

const reportUsage = `Usage: pipe report DIR [--trials DIR]

Rebuilds the tables (Markdown, CSV), figures (SVG, PNG) and report.md of a
pipeline's output folder DIR (e.g. results/report) from its manifest.json
and the records in the shared trial store, without training anything or
evaluating the pipeline: the files are byte for byte those pipe run wrote.
The trial store is DIR/../trials unless --trials names it. A record the
store lacks is an error naming its key and the table or figure it belongs
to.

Flags:
`

// reportCmd implements pipe report.
func reportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pipe report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var trials string
	fs.StringVar(&trials, "trials", "", "read records from the trial store `DIR` (default: the trials folder beside the output folder)")
	fs.Usage = func() {}
	printUsage := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprint(w, reportUsage)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	// Flags may come before or after DIR, as for pipe run.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(stdout)
				return exitOK
			}
			printUsage(stderr)
			return exitUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		dirs = append(dirs, args[0])
		args = args[1:]
	}
	var err error
	switch {
	case len(dirs) == 0:
		err = errors.New("missing DIR (a pipeline's output folder, e.g. results/report)")
	case len(dirs) > 1:
		err = fmt.Errorf("want one DIR, got %d: %s", len(dirs), quoteList(dirs))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		printUsage(stderr)
		return exitUsage
	}
	dir := dirs[0]

	m, err := results.ReadManifest(dir)
	if err != nil {
		fmt.Fprintf(stderr, "pipe report: %v\n", err)
		return exitFail
	}
	// DIR/.. rather than the parent of DIR's name, so "pipe report ." in
	// results/report finds results/trials.
	store := &results.Cache{Dir: filepath.Join(dir, "..")}
	if trials != "" {
		store = &results.Cache{RecordsDir: trials}
	}
	if err := m.Render(dir, store); err != nil {
		fmt.Fprintf(stderr, "pipe report: %v\n", err)
		return exitFail
	}
	tables, figures := 0, 0
	keys := map[string]bool{}
	for _, it := range m.Items {
		var refs []results.TrialRef
		switch {
		case it.Table != nil:
			tables++
			refs = it.Table.Trials
		case it.Plot != nil:
			figures++
			refs = it.Plot.Trials
		}
		for _, r := range refs {
			keys[r.Key] = true
		}
	}
	what := fmt.Sprintf("%d tables and %d figures", tables, figures)
	if m.Report != nil {
		what = fmt.Sprintf("%d tables, %d figures and %s", tables, figures, results.ReportFile)
	}
	fmt.Fprintf(stdout, "%s: rebuilt %s from %s and %d records\n", dir, what, results.ManifestFile, len(keys))
	return exitOK
}
