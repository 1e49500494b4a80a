package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ManifestFile is the name of the manifest a successful run writes in its
// pipeline's output folder.
const ManifestFile = "manifest.json"

// ManifestVersion is the Version of the manifests this package writes; a
// manifest of another version is refused rather than half understood.
const ManifestVersion = 1

// Manifest lists everything a run of a pipeline rendered — its check
// lines, tables, figures and report — by what they were made from: titles,
// columns, trial keys and the settings each trial was shown with. Tables,
// figures and the report are pure functions of the manifest and the records
// its keys name (see Render), so `pipe report` rebuilds them byte for byte
// from the shared trial store without evaluating a line of Starlark.
type Manifest struct {
	Version int `json:"version"`
	// Pipeline is the name of the file that was run (Files are relative to
	// its folder).
	Pipeline string `json:"pipeline"`
	// Files are the pipeline files executed (the main one and every file
	// it loaded), in the order they began, with paths relative to the main
	// file's folder.
	Files []SourceFile `json:"files"`
	// Items are the rendered things, in the order the pipeline made them.
	Items []Item `json:"items"`
	// Report is the last report() call, if there was one.
	Report *ReportSpec `json:"report,omitempty"`
}

// SourceFile is one pipeline file of a run.
type SourceFile struct {
	Path string `json:"path"`
	// Doc is the file's leading comment without the "# " markers: what the
	// file studies, shown at the top of its report section.
	Doc string `json:"doc,omitempty"`
}

// Item is one rendered thing of a run: exactly one of Check, Table, Plot
// and Eval is set. File is the pipeline file (a SourceFile.Path) whose code
// made it.
type Item struct {
	File  string     `json:"file"`
	Check *CheckSpec `json:"check,omitempty"`
	Table *TableSpec `json:"table,omitempty"`
	Plot  *PlotSpec  `json:"plot,omitempty"`
	Eval  *EvalSpec  `json:"eval,omitempty"`
}

// CheckSpec is what a sanity check printed: its verdict lines, e.g. an
// initial loss against ln(C) or a parameter's gradient-check error. They are
// kept as text: a check's numbers are not trials and live nowhere else.
type CheckSpec struct {
	Name  string   `json:"name"`
	Lines []string `json:"lines"`
}

// TrialRef names one record of a table or figure: its key in the trial
// store and the settings the pipeline showed it with. Keys leave settings
// out (the same trial is filter_size=7 in one sweep and reg=0.001 in
// another), so the manifest keeps them.
type TrialRef struct {
	Key      string    `json:"key"`
	Settings []Setting `json:"settings"`
}

// TableSpec is one table() call: newTable's arguments, the trials in the
// pipeline's order, and the file name stem it was written under.
type TableSpec struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Sort    string     `json:"sort,omitempty"`
	Compare bool       `json:"compare,omitempty"`
	Slug    string     `json:"slug"`
	Trials  []TrialRef `json:"trials"`
}

// PlotSpec is one plot() call: the metric ("loss", "filters", or an
// accuracy metric), title, labels of the trials and the file name stem.
// X, if set, draws the metric (train_acc or val_acc) against a setting,
// one line per value of the setting Hue; or, when X is XTrial, a search's
// best-so-far curve, and when XSettings, parallel coordinates.
type PlotSpec struct {
	Metric string     `json:"metric"`
	X      string     `json:"x,omitempty"`
	Hue    string     `json:"hue,omitempty"`
	Title  string     `json:"title"`
	Slug   string     `json:"slug"`
	Trials []TrialRef `json:"trials"`
	Labels []string   `json:"labels"`
}

// ReportSpec is a report() call. Items is how many of the manifest's items
// existed when it was made: the report shows those, so a rebuilt report is
// the one the run wrote even if the pipeline rendered more afterwards.
type ReportSpec struct {
	Title string `json:"title"`
	Intro string `json:"intro,omitempty"`
	Items int    `json:"items"`
}

// Trials returns the trial references of the item: those of a table or a
// figure, none for a check or an evaluation (which holds its results).
func (it Item) Trials() []TrialRef {
	switch {
	case it.Table != nil:
		return it.Table.Trials
	case it.Plot != nil:
		return it.Plot.Trials
	}
	return nil
}

// Counts returns how many tables and figures m renders (an evaluation's
// table counts as a table, its plots as figures) and how many distinct
// trials they show.
func (m *Manifest) Counts() (tables, figures, trials int) {
	keys := map[string]bool{}
	for _, it := range m.Items {
		switch {
		case it.Table != nil, it.Eval != nil && it.Eval.Kind == "table":
			tables++
		case it.Plot != nil, it.Eval != nil:
			figures++
		}
		for _, r := range it.Trials() {
			keys[r.Key] = true
		}
	}
	return tables, figures, len(keys)
}

// Refs returns the references of recs: each record's key and settings.
func Refs(recs []Record) []TrialRef {
	refs := make([]TrialRef, len(recs))
	for i, r := range recs {
		refs[i] = TrialRef{Key: r.Key, Settings: r.Trial.Settings}
	}
	return refs
}

// Table builds the table the spec describes from recs, the records of
// s.Trials in order.
func (s *TableSpec) Table(recs []Record) (Table, error) {
	return newTable(s.Title, recs, s.Columns, s.Sort, s.Compare)
}

// WriteFiles writes t, the table of s, as <dir>/tables/<slug>.md and .csv.
func (s *TableSpec) WriteFiles(dir string, t Table) (md, csv string, err error) {
	return t.writeFiles(filepath.Join(dir, "tables"), s.Slug)
}

// Draw draws the figure the spec describes from recs, the records of
// s.Trials in order, as <dir>/figures/<slug>.svg and .png, and returns the
// paths written.
func (s *PlotSpec) Draw(dir string, recs []Record) ([]string, error) {
	path := figurePath(dir, s.Slug)
	if s.X != "" {
		if s.Metric != "val_acc" && s.Metric != "train_acc" {
			return nil, fmt.Errorf("results: plot %q: x = %q needs metric val_acc or train_acc, not %q", s.Title, s.X, s.Metric)
		}
		switch s.X {
		case XTrial:
			return plotBestSoFar(recs, s.Metric, s.Title, path)
		case XSettings:
			return plotParallel(recs, s.Metric, s.Title, path)
		}
		return plotMetricBySetting(recs, s.Metric, s.X, s.Hue, s.Title, path)
	}
	switch s.Metric {
	case "loss":
		return plotLoss(recs, s.Labels, s.Title, path)
	case "filters":
		if len(recs) == 0 {
			return nil, fmt.Errorf("results: plot %q: no records", s.Title)
		}
		return plotFilters(recs[0].Filters, s.Title, path)
	case "accuracy", "train_acc", "val_acc":
		return plotAccuracy(recs, s.Labels, s.Title, path, s.Metric)
	}
	return nil, fmt.Errorf("results: plot %q: unknown metric %q", s.Title, s.Metric)
}

// Files returns the paths Draw writes, without drawing.
func (s *PlotSpec) Files(dir string) []string { return figureFiles(dir, s.Slug) }

// figureFiles returns the paths of the figure slug under dir, one a format.
func figureFiles(dir, slug string) []string {
	path := figurePath(dir, slug)
	files := make([]string, len(figureFormats))
	for i, ext := range figureFormats {
		files[i] = path + "." + ext
	}
	return files
}

// Getter looks records up by key; *Cache is one.
type Getter interface {
	Get(key string) (Record, bool, error)
}

// MissingRecordError is a record a manifest names that the store lacks.
type MissingRecordError struct {
	Key  string
	What string // `table "Dropout"`, `figure "Dropout: loss"`
	Dir  string // the store's trials folder, when known
}

func (e *MissingRecordError) Error() string {
	where := "the trial store"
	if e.Dir != "" {
		where = e.Dir
	}
	return fmt.Sprintf("results: record %s of %s is not in %s (train it with pipe run, or pass --trials)", e.Key, e.What, where)
}

// Records fetches the records of refs from store, each labelled with the
// settings of its reference. what names the table or figure for errors.
func Records(store Getter, refs []TrialRef, what string) ([]Record, error) {
	recs := make([]Record, len(refs))
	for i, ref := range refs {
		rec, ok, err := store.Get(ref.Key)
		if err != nil {
			return nil, fmt.Errorf("results: %s: %w", what, err)
		}
		if !ok {
			return nil, &MissingRecordError{Key: ref.Key, What: what, Dir: storeDir(store)}
		}
		rec.Trial.Settings = ref.Settings
		recs[i] = rec
	}
	return recs, nil
}

// Render rebuilds every table, figure and (if the pipeline made one) the
// report of m under dir from the records in store, writing the same bytes
// the run wrote. A record missing from the store is a *MissingRecordError
// naming its key and the table or figure it belongs to; nothing is trained.
// Each record is read once, however many tables and figures show it, and
// each table is built once, for its files and the report alike.
func (m *Manifest) Render(dir string, store Getter) error {
	if err := m.check(); err != nil {
		return err
	}
	store = &memoGetter{store: store, recs: map[string]Record{}}
	tables := map[*TableSpec]Table{}
	for _, it := range m.Items {
		switch {
		case it.Table != nil:
			t, err := it.Table.build(store)
			if err != nil {
				return err
			}
			if _, _, err := it.Table.WriteFiles(dir, t); err != nil {
				return err
			}
			tables[it.Table] = t
		case it.Plot != nil:
			s := it.Plot
			recs, err := Records(store, s.Trials, fmt.Sprintf("figure %q", s.Title))
			if err != nil {
				return err
			}
			if _, err := s.Draw(dir, recs); err != nil {
				return err
			}
		case it.Eval != nil:
			if _, _, err := it.Eval.Render(dir); err != nil {
				return err
			}
		}
	}
	if m.Report != nil {
		if _, err := m.writeReport(dir, func(s *TableSpec) (Table, error) { return tables[s], nil }); err != nil {
			return err
		}
	}
	return nil
}

// memoGetter remembers the records it has read from store: a study's
// table and its figures show the same trials.
type memoGetter struct {
	store Getter
	recs  map[string]Record
}

func (g *memoGetter) Get(key string) (Record, bool, error) {
	if r, ok := g.recs[key]; ok {
		return r, true, nil
	}
	r, ok, err := g.store.Get(key)
	if ok && err == nil {
		g.recs[key] = r
	}
	return r, ok, err
}

// storeDir is the folder of store's records, when it has one.
func storeDir(store Getter) string {
	switch s := store.(type) {
	case *Cache:
		return s.records()
	case *memoGetter:
		return storeDir(s.store)
	}
	return ""
}

// build fetches the table's records from store and builds it.
func (s *TableSpec) build(store Getter) (Table, error) {
	recs, err := Records(store, s.Trials, fmt.Sprintf("table %q", s.Title))
	if err != nil {
		return Table{}, err
	}
	return s.Table(recs)
}

// WriteReport writes <dir>/report.md for m.Report from the first
// m.Report.Items items: an introduction, then one section per pipeline
// file (in the order the files began) with its doc comment, its check lines,
// its tables and its figures. Files that rendered nothing get no section.
// The tables' and figures' files must already be under dir (the run wrote
// them as it went; Render writes them first): the report shows the tables
// inline, built from the records in store, and links those files.
func (m *Manifest) WriteReport(dir string, store Getter) (string, error) {
	return m.writeReport(dir, func(s *TableSpec) (Table, error) { return s.build(store) })
}

// writeReport is WriteReport with the tables supplied by table.
func (m *Manifest) writeReport(dir string, table func(*TableSpec) (Table, error)) (string, error) {
	sections, err := m.reportSections(dir, table)
	if err != nil {
		return "", err
	}
	return writeReport(dir, m.Report.Title, sections)
}

// ReportSections returns the sections of m's report, as WriteReport writes
// them to report.md, with the tables built from the records in store; each
// figure carries its PlotSpec, so other renderers (report.html) can draw it
// from the records too.
func (m *Manifest) ReportSections(dir string, store Getter) ([]Section, error) {
	return m.reportSections(dir, func(s *TableSpec) (Table, error) { return s.build(store) })
}

// reportSections is ReportSections with the tables supplied by table.
func (m *Manifest) reportSections(dir string, table func(*TableSpec) (Table, error)) ([]Section, error) {
	if m.Report == nil {
		return nil, errors.New("results: the manifest has no report")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	items := m.Items[:m.Report.Items]
	var sections []Section
	if intro := strings.TrimSpace(m.Report.Intro); intro != "" {
		sections = append(sections, Section{Text: intro})
	}
	for _, f := range m.Files {
		var checks []string
		sec := Section{Title: f.Path}
		for _, it := range items {
			if it.File != f.Path {
				continue
			}
			switch {
			case it.Check != nil:
				checks = append(checks, it.Check.Lines...)
			case it.Table != nil:
				t, err := table(it.Table)
				if err != nil {
					return nil, err
				}
				t.Slug = it.Table.Slug
				sec.Tables = append(sec.Tables, t)
			case it.Plot != nil:
				sec.Figures = append(sec.Figures, Figure{Caption: it.Plot.Title, Files: it.Plot.Files(dir), Plot: it.Plot})
			case it.Eval != nil && it.Eval.Kind == "table":
				t := it.Eval.Eval.Table(it.Eval.Title)
				t.Slug = it.Eval.Slug
				sec.Tables = append(sec.Tables, t)
			case it.Eval != nil:
				sec.Figures = append(sec.Figures, Figure{Caption: it.Eval.Title, Files: figureFiles(dir, it.Eval.Slug)})
			}
		}
		if len(checks) == 0 && len(sec.Tables) == 0 && len(sec.Figures) == 0 {
			continue
		}
		var text strings.Builder
		if f.Doc != "" {
			text.WriteString(f.Doc)
		}
		if len(checks) > 0 {
			if text.Len() > 0 {
				text.WriteString("\n\n")
			}
			text.WriteString("```text\n" + strings.Join(checks, "\n") + "\n```")
		}
		sec.Text = text.String()
		sections = append(sections, sec)
	}
	return sections, nil
}

// check rejects a manifest this package cannot render faithfully.
func (m *Manifest) check() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("results: manifest version %d, want %d (written by another version of pipe?)", m.Version, ManifestVersion)
	}
	if m.Report != nil && (m.Report.Items < 0 || m.Report.Items > len(m.Items)) {
		return fmt.Errorf("results: manifest report covers %d items, but the manifest has %d", m.Report.Items, len(m.Items))
	}
	for i, it := range m.Items {
		n := 0
		for _, set := range []bool{it.Check != nil, it.Table != nil, it.Plot != nil, it.Eval != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("results: manifest item %d has %d kinds, want exactly one of check, table, plot and eval", i, n)
		}
		slug := ""
		switch {
		case it.Table != nil:
			slug = it.Table.Slug
		case it.Plot != nil:
			slug = it.Plot.Slug
		case it.Eval != nil:
			slug = it.Eval.Slug
		}
		if slug != "" && slug != Slug(slug) { // Slug's output is a plain file name stem
			return fmt.Errorf("results: manifest item %d: invalid file name %q", i, slug)
		}
		if e := it.Eval; e != nil {
			if e.Kind != "table" && e.Kind != "confusion" && e.Kind != "misclassified" {
				return fmt.Errorf("results: manifest item %d: unknown evaluation kind %q (want table, confusion or misclassified)", i, e.Kind)
			}
			if err := e.Eval.check(); err != nil {
				return fmt.Errorf("results: manifest item %d: evaluation: %v", i, err)
			}
		}
	}
	return nil
}

// Marshal returns the manifest as indented JSON ending in a newline; the
// same manifest always gives the same bytes.
func (m *Manifest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results: encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// WriteManifest writes m as <dir>/manifest.json, atomically.
func WriteManifest(dir string, m *Manifest) (string, error) {
	b, err := m.Marshal()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	path := filepath.Join(dir, ManifestFile)
	return path, writeFileAtomic(path, b)
}

// ReadManifest reads <dir>/manifest.json. Errors name the file; unknown
// fields are an error (a manifest from a newer pipe would otherwise render
// wrongly without a word).
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("results: %s: no manifest (is %s the output folder of a successful pipe run?)", path, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("results: %s: corrupt manifest: %v", path, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}
