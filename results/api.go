// Package results turns finished trials into files: one JSON record per
// trial in a content-addressed cache, comparison tables (terminal, Markdown,
// CSV), plots and the Markdown report. Everything here is rendered from
// records alone, so a report can be rebuilt without training.
package results

// This file is the contract other packages build against; TODO bodies are
// being written.

import (
	"io"

	"github.com/pipe-ml/pipe/nn"
)

// NumericsVersion is part of every trial key: bump it whenever a change to nn
// alters the numbers a trial produces, so cached records are retrained.
const NumericsVersion = "1"

// DataSpec identifies a data selection and its preprocessing.
type DataSpec struct {
	Name        string   `json:"name"`        // "fashion-mnist", "cifar10"
	Source      string   `json:"source"`      // "embedded" or the folder read
	Classes     []string `json:"classes"`     // selected class names, in label order
	Validation  int      `json:"validation"`  // images held out of training
	SplitSeed   int64    `json:"split_seed"`  // < 0: the last Validation training images
	Fingerprint string   `json:"fingerprint"` // content hash of the files read (sizes+digest)
}

// Setting is one named value a trial was given (a grid axis, a seed), in the
// order the pipeline named them; tables use them as columns.
type Setting struct {
	Name  string `json:"name"`
	Value any    `json:"value"` // int64, float64, string or bool
}

// Trial is the full canonical spec of one training run.
type Trial struct {
	Model    nn.ModelSpec   `json:"model"`
	Data     DataSpec       `json:"data"`
	Train    nn.TrainConfig `json:"train"`
	Settings []Setting      `json:"settings"`
}

// Key hashes the trial's canonical JSON (Settings excluded: they only label
// it) with NumericsVersion: equal keys train to equal records.
func (t Trial) Key() string { panic("TODO") }

// Record is one finished trial as stored on disk.
type Record struct {
	Key             string    `json:"key"`
	NumericsVersion string    `json:"numerics_version"`
	Trial           Trial     `json:"trial"`
	Result          nn.Result `json:"result"`
	Seconds         float64   `json:"seconds"`  // timing: excluded from reproducibility comparisons
	Finished        string    `json:"finished"` // RFC 3339, timing as well
}

// Cache stores records under Dir/trials/<key>.json, written atomically.
type Cache struct{ Dir string }

// Get returns the record for key, or ok=false when there is none.
func (c *Cache) Get(key string) (rec Record, ok bool, err error) { panic("TODO") }

// Put writes rec atomically (temp file + rename).
func (c *Cache) Put(rec Record) error { panic("TODO") }

// Table is a rendered comparison: a title, column names and formatted cells.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
}

// Render writes t to w as a terminal table (tablewriter).
func (t Table) Render(w io.Writer) error { panic("TODO") }

// WriteFiles writes t as <dir>/<slug>.md and <slug>.csv and returns the paths.
func (t Table) WriteFiles(dir, slug string) (md, csv string, err error) { panic("TODO") }
