package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/results/web"
)

const reportUsage = `Usage: pipe report DIR [--trials DIR]

Rebuilds the tables (Markdown, CSV), figures (SVG, PNG), report.md and
report.html of a pipeline's output folder DIR (e.g. out/report) from its
manifest.json and the records in the shared trial store, without training
anything or evaluating the pipeline: the files are byte for byte those pipe
run wrote. The trial store is DIR/../trials unless --trials names it. A
record the store lacks is an error naming its key and the table or figure
it belongs to.

Only the files the manifest names are written, and nothing is deleted:
tables or figures that an earlier run wrote and the last run no longer
makes (a renamed title, say) stay in DIR. Remove DIR/tables and
DIR/figures first for a folder holding exactly the last run's outputs.

Flags:
`

// reportCmd implements pipe report.
func reportCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe report", reportUsage, stdout, stderr)
	var trials string
	c.fs.StringVar(&trials, "trials", "", "read records from the trial store `DIR` (default: the trials folder beside the output folder)")
	dirs, err := c.parse(args)
	switch {
	case err != nil:
	case len(dirs) == 0:
		err = c.fail(errors.New("missing DIR (a pipeline's output folder, e.g. out/report)"))
	case len(dirs) > 1:
		err = c.fail(fmt.Errorf("want one DIR, got %d: %s", len(dirs), quoteList(dirs)))
	}
	if err != nil {
		return exitCode(err)
	}
	dir := dirs[0]

	m, err := results.ReadManifest(dir)
	if err != nil {
		return reportFailed(stderr, err)
	}
	// DIR/.. rather than the parent of DIR's name, so "pipe report ." in
	// out/report finds out/trials (and an old results/report its
	// results/trials).
	store := &results.Cache{Dir: filepath.Join(dir, "..")}
	if trials != "" {
		store = &results.Cache{RecordsDir: trials}
	}
	if err := web.Render(dir, m, store); err != nil {
		return reportFailed(stderr, err)
	}
	tables, figures, shown := m.Counts()
	what := fmt.Sprintf("%s and %s", count(tables, "table"), count(figures, "figure"))
	if m.Report != nil {
		what = fmt.Sprintf("%s, %s, %s and %s", count(tables, "table"), count(figures, "figure"), results.ReportFile, web.ReportFile)
	}
	fmt.Fprintf(stdout, "%s: rebuilt %s from %s and %s\n", dir, what, results.ManifestFile, count(shown, "record"))
	return exitOK
}

// count is "1 table" or "2 tables".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// reportFailed prints why pipe report failed, prefixed once: the results
// package's own "results: " prefix says nothing to a user who ran pipe
// report, and every such error already names its file, table or record.
func reportFailed(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "pipe report: %s\n", strings.TrimPrefix(err.Error(), "results: "))
	return exitFail
}
