// Package results turns finished trials into files: one JSON record per
// trial in a content-addressed cache, comparison tables (terminal, Markdown,
// CSV), plots and the Markdown report. Everything here is rendered from
// records alone, so a report can be rebuilt without training.
//
// The files of the package, by concern:
//
//	api.go           the contract types (this file)
//	record.go        trial keys, records, first-layer filters, setting labels
//	recordjson.go    the JSON form of records: typed settings, NaN-safe floats
//	cache.go         the content-addressed record cache and atomic file writes
//	verify.go        what makes a file read back trustworthy: checksums, record checks
//	artifacts.go     per-trial state and weights files beside the records
//	tensors.go       the safetensors format those files use, with a checksum
//	table.go         a table's rows from records: columns, seed groups, sort
//	table_cells.go   cell text (fixed decimals, mean ± std) and sort order
//	table_render.go  terminal (tablewriter), Markdown and CSV output, files
//	figure.go        what every figure shares: style, ticks, SVG and PNG files
//	plot.go          loss and accuracy curves
//	plot_sweep.go    accuracy against the swept setting of one-epoch sweeps
//	plot_filters.go  the grid of first-layer filters
//	report.go        the Markdown report linking tables and figures
//	manifest.go      what a run rendered, from which records; renders it again
package results

import (
	"github.com/pipe-ml/pipe/nn"
)

// NumericsVersion is part of every trial key: bump it whenever a change to nn
// alters the numbers a trial produces, so cached records are retrained.
const NumericsVersion = "2"

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
//
// Value survives a JSON round trip with its type: a number written without a
// fraction or exponent reads back as int64, any other number as float64 (see
// Setting.UnmarshalJSON), so a table rendered from fresh records and one
// rendered from the cache are identical.
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
	// InitFrom names the weights a warm-started trial began from: the
	// source trial's key, or "sha256:" and the digest of a weights file's
	// tensors. Empty for a random start.
	InitFrom string `json:"init_from,omitempty"`
}

// Record is one finished trial as stored on disk. NewRecord fills Key and
// NumericsVersion from the trial.
type Record struct {
	Key             string    `json:"key"`
	NumericsVersion string    `json:"numerics_version"`
	Trial           Trial     `json:"trial"`
	Result          nn.Result `json:"result"`
	Seconds         float64   `json:"seconds"`  // wall time of training; timing: excluded from reproducibility comparisons
	Finished        string    `json:"finished"` // RFC 3339, timing as well
	// Threads is how many cores the trial's training could use (a lone
	// trial gets the cores idle trials leave); timing as well. Tables show
	// Seconds × Threads, which compares across rows (see CoreSeconds). 0 in
	// records written before it was kept, read as 1.
	Threads int `json:"threads,omitempty"`
	// CoreSecs is the training time in core-seconds when the trial's
	// cores changed while it trained (it was handed those of trials that
	// finished; Threads is then the most it had); timing as well. 0: the
	// count never changed, and CoreSeconds is Seconds × Threads.
	CoreSecs float64 `json:"core_seconds,omitempty"`

	// Filters are the first conv layer's weights of the kept (best-validation)
	// parameters, so the filter figure can be drawn from the record alone.
	// Nil when the model has no conv layer or the caller did not keep them.
	Filters *Filters `json:"filters,omitempty"`
}

// Cache stores records under Dir/trials/<key>.json, written atomically.
// Dir is the output root that every pipeline shares (out/ by default),
// so a trial trained by one pipeline is found by all the others. It holds no
// state besides its folders, so several processes (or shards on a shared
// folder) may use the same directory at once: a record is either absent or
// complete.
type Cache struct {
	Dir string
	// RecordsDir, if set, is the folder of the records itself and Dir is
	// ignored (pipe report --trials names the folder directly).
	RecordsDir string
}

// Table is a rendered comparison: a title, column names and formatted cells.
// newTable builds one from records; every cell is already a string, so all
// three outputs (terminal, Markdown, CSV) show the same text.
type Table struct {
	Title   string
	Columns []string
	Rows    [][]string
	// Slug is the file name stem of the table's files (tables/<Slug>.md and
	// .csv), which a manifest's report links.
	Slug string
	// Note, if set, is a footnote printed under the table (terminal and
	// Markdown; CSV holds only the cells): how a column is measured.
	Note string

	// csvColumns and csvRows, when set (newTable sets them), are what the
	// CSV file holds instead of Columns and Rows: numbers only in numeric
	// columns, a "mean ± std" cell split into _mean, _std and _n columns.
	csvColumns []string
	csvRows    [][]string
}
