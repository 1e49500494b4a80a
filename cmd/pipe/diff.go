package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/results/web"
)

const diffUsage = `Usage: pipe diff KEY KEY... [--trials DIR]

Prints the settings in which the trials differ — every field of their
specs that their keys hash (model, data, training) — and their results,
side by side. A KEY may be the first few (at least 4) hex digits of a key,
as the dashboard and plot legends show them. The trial store is
out/trials ($PIPE_OUT/trials) unless --trials names it (a trials folder or
an output root).

Flags:
`

// diffCmd implements pipe diff.
func diffCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe diff", diffUsage, stdout, stderr)
	trials := c.fs.String("trials", filepath.Join(outRoot(""), results.TrialsDir), "read records from the trial store `DIR`")
	keys, err := c.parse(args)
	if err == nil && len(keys) < 2 {
		err = c.fail(fmt.Errorf("want at least two KEYs, got %d", len(keys)))
	}
	if err != nil {
		return exitCode(err)
	}
	recs, err := readRecords(recordsDir(*trials), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pipe diff: %v\n", err)
		return exitFail
	}
	picked := make([]results.Record, len(keys))
	for i, k := range keys {
		if picked[i], err = web.Resolve(recs, strings.ToLower(k)); err != nil {
			fmt.Fprintf(stderr, "pipe diff: %v in %s\n", err, recordsDir(*trials))
			return exitFail
		}
	}
	cols := []string{""}
	for _, r := range picked {
		cols = append(cols, r.Key[:8])
	}
	table := func(title string, rows []results.FieldRow, onlyDiffering bool) results.Table {
		t := results.Table{Title: title, Columns: cols}
		for _, row := range rows {
			if !onlyDiffering || row.Differs {
				t.Rows = append(t.Rows, append([]string{row.Name}, row.Values...))
			}
		}
		return t
	}
	labels := []results.FieldRow{{Name: "settings", Values: make([]string, len(picked))}}
	for i, r := range picked {
		labels[0].Values[i] = results.FormatSettings(r.Trial.Settings)
	}
	fields := results.CompareFields(picked)
	n := 0
	for _, f := range fields {
		if f.Differs {
			n++
		}
	}
	var tables []results.Table
	if n == 0 {
		fmt.Fprintf(stdout, "The trials have the same settings (all %d fields); their keys differ by the numerics version only.\n\n", len(fields))
	} else {
		tables = append(tables, table(fmt.Sprintf("Settings that differ (%d of %d)", n, len(fields)), fields, true))
	}
	tables = append(tables, table("Results", append(labels, results.CompareMetrics(picked)...), false))
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := t.Render(stdout); err != nil {
			fmt.Fprintf(stderr, "pipe diff: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

// recordsDir is dir itself when it holds records, or its trials folder when
// it is an output root.
func recordsDir(dir string) string {
	sub := filepath.Join(dir, results.TrialsDir)
	if st, err := os.Stat(sub); err == nil && st.IsDir() {
		return sub
	}
	return dir
}

// readRecords reads every record in dir, sorted by key. An unreadable
// record is named on stderr and skipped; it makes the returned error
// non-nil only when nothing could be read at all.
func readRecords(dir string, stderr io.Writer) ([]results.Record, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("trial store %s: %w", dir, errors.Unwrap(err))
	}
	store := &results.Cache{RecordsDir: dir}
	var recs []results.Record
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		rec, ok, err := store.Get(strings.TrimSuffix(name, ".json"))
		if err != nil {
			fmt.Fprintf(stderr, "pipe: skipped %s\n", strings.TrimPrefix(err.Error(), "results: "))
			continue
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	return recs, nil
}
