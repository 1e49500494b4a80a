package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/pipe-ml/pipe/results"
)

// exportRecords is pipe export --records DIR: every record as JSON Lines.
func exportRecords(dir string, stdout, stderr io.Writer) int {
	skipped := &countingWriter{w: stderr}
	recs, err := readRecords(recordsDir(dir), skipped)
	if err != nil {
		fmt.Fprintf(stderr, "pipe export: %v\n", err)
		return exitFail
	}
	w := bufio.NewWriter(stdout)
	if err := results.WriteJSONL(w, recs); err != nil {
		fmt.Fprintf(stderr, "pipe export: %v\n", err)
		return exitFail
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "pipe export: %v\n", err)
		return exitFail
	}
	if skipped.n > 0 {
		return exitFail
	}
	return exitOK
}

// countingWriter counts the writes (one per skipped record) passed to w.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n++
	return c.w.Write(p)
}
