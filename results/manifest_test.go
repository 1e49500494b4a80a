package results

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testManifest describes a table and a figure of the filter sweep and a
// report of both.
func testManifest(recs []Record) *Manifest {
	return &Manifest{
		Version:  ManifestVersion,
		Pipeline: "filter_size.star",
		Files:    []SourceFile{{Path: "filter_size.star", Doc: "Filter sizes."}, {Path: "lib/base.star"}},
		Items: []Item{
			{File: "filter_size.star", Check: &CheckSpec{Name: "check_initial_loss", Lines: []string{"loss 0.693: ok"}}},
			{File: "filter_size.star", Table: &TableSpec{Title: "Filter size", Columns: []string{"filter_size", "val_acc"}, Sort: "-val_acc", Slug: "filter-size", Trials: Refs(recs)}},
			{File: "filter_size.star", Plot: &PlotSpec{Metric: "loss", Title: "Loss", Slug: "loss", Trials: Refs(recs), Labels: []string{"a", "b", "c"}}},
		},
		Report: &ReportSpec{Title: "Study", Intro: "Intro.", Items: 3},
	}
}

// TestManifestRoundTripAndRender: a manifest survives its file, and Render
// writes from it and a store exactly what rendering the records directly
// writes; a missing record is named with its table.
func TestManifestRoundTripAndRender(t *testing.T) {
	recs := curveSweep()
	dir := t.TempDir()
	store := &Cache{Dir: t.TempDir()}
	for _, r := range recs {
		stored := r
		stored.Trial.Settings = nil // the store's copy may carry other settings: the manifest's win
		if err := store.Put(stored); err != nil {
			t.Fatal(err)
		}
	}
	m := testManifest(recs)
	if _, err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	back, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) {
		t.Errorf("manifest round trip:\n got %+v\nwant %+v", back, m)
	}
	if err := back.Render(dir, store); err != nil {
		t.Fatal(err)
	}

	// The same table and figure drawn straight from the records.
	direct := t.TempDir()
	tbl, err := newTable("Filter size", recs, []string{"filter_size", "val_acc"}, "-val_acc", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tbl.writeFiles(filepath.Join(direct, "tables"), "filter-size"); err != nil {
		t.Fatal(err)
	}
	if _, err := plotLoss(recs, []string{"a", "b", "c"}, "Loss", figurePath(direct, "loss")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tables/filter-size.md", "tables/filter-size.csv", "figures/loss.svg", "figures/loss.png"} {
		if string(readFile(t, filepath.Join(dir, f))) != string(readFile(t, filepath.Join(direct, f))) {
			t.Errorf("%s rendered from the manifest differs from the direct rendering", f)
		}
	}
	report := string(readFile(t, filepath.Join(dir, ReportFile)))
	for _, want := range []string{"# Study\n\nIntro.\n\n## filter_size.star\n\nFilter sizes.\n\n```text\nloss 0.693: ok\n```\n", "(tables/filter-size.md)", "![Loss](figures/loss.png)"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "lib/base.star") {
		t.Errorf("a file that rendered nothing has a section:\n%s", report)
	}

	// A report made before the last items leaves them out.
	early := testManifest(recs)
	early.Report.Items = 1
	if _, err := early.WriteReport(dir, store); err != nil {
		t.Fatal(err)
	}
	if r := string(readFile(t, filepath.Join(dir, ReportFile))); strings.Contains(r, "**Filter size**") || strings.Contains(r, "figures/loss") || !strings.Contains(r, "loss 0.693") {
		t.Errorf("report of the first item only:\n%s", r)
	}

	if err := os.Remove(store.path(recs[1].Key)); err != nil {
		t.Fatal(err)
	}
	err = back.Render(dir, store)
	var missing *MissingRecordError
	if !errors.As(err, &missing) || missing.Key != recs[1].Key || missing.Dir != store.records() ||
		!strings.Contains(err.Error(), `table "Filter size"`) || !strings.Contains(err.Error(), recs[1].Key) {
		t.Errorf("missing record: %v", err)
	}
}

func TestManifestErrors(t *testing.T) {
	recs := curveSweep()
	for _, tc := range []struct {
		name   string
		change func(m *Manifest)
		want   string
	}{
		{"version", func(m *Manifest) { m.Version = 99 }, "manifest version 99, want 1"},
		{"report items", func(m *Manifest) { m.Report.Items = 9 }, "report covers 9 items, but the manifest has 3"},
		{"two kinds", func(m *Manifest) { m.Items[0].Table = m.Items[1].Table }, "item 0 has 2 kinds"},
		{"no kind", func(m *Manifest) { m.Items[0].Check = nil }, "item 0 has 0 kinds"},
		{"slug", func(m *Manifest) { m.Items[1].Table.Slug = "../x" }, `item 1: invalid file name "../x"`},
		{"eval kind", func(m *Manifest) { m.Items[0] = Item{Eval: &EvalSpec{Kind: "pie", Slug: "e", Eval: tinyEval()}} }, `item 0: unknown evaluation kind "pie"`},
		{"eval pixels", func(m *Manifest) {
			ev := tinyEval()
			ev.Worst[0].Pixels = ev.Worst[0].Pixels[:3]
			m.Items[0] = Item{Eval: &EvalSpec{Kind: "misclassified", Slug: "e", Eval: ev}}
		}, "item 0: evaluation: misclassified image 1 has 3 bytes of pixels, want 4"},
		{"eval counts", func(m *Manifest) {
			ev := tinyEval()
			ev.Images = 3
			m.Items[0] = Item{Eval: &EvalSpec{Kind: "table", Slug: "e", Eval: ev}}
		}, "item 0: evaluation: confusion matrix does not count every image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := testManifest(recs)
			tc.change(m)
			if _, err := WriteManifest(dir, m); err != nil {
				t.Fatal(err)
			}
			_, err := ReadManifest(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ManifestFile) {
				t.Errorf("err = %v, want it to contain %q and the file", err, tc.want)
			}
		})
	}
	dir := t.TempDir()
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), "no manifest") {
		t.Errorf("no manifest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"version": 1, "extra": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadManifest(dir); err == nil || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Errorf("unknown field: %v", err)
	}
}

// countingStore counts the records read through it.
type countingStore struct {
	Getter
	gets int
}

func (s *countingStore) Get(key string) (Record, bool, error) {
	s.gets++
	return s.Getter.Get(key)
}

// TestRenderReadsEachRecordOnce: the report's inline tables are the ones
// Render just wrote, not read from the store and built a second time, and a
// record shown by a table and a figure is read once.
func TestRenderReadsEachRecordOnce(t *testing.T) {
	recs := curveSweep()
	cache := &Cache{Dir: t.TempDir()}
	for _, r := range recs {
		if err := cache.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	store := &countingStore{Getter: cache}
	if err := testManifest(recs).Render(t.TempDir(), store); err != nil {
		t.Fatal(err)
	}
	if want := len(recs); store.gets != want { // the table and the figure show the same records
		t.Errorf("Render read %d records, want %d", store.gets, want)
	}
}

// tinyEval is a consistent evaluation of two 1x2x2 images, one wrong.
func tinyEval() Evaluation {
	return Evaluation{Key: "k", Data: DataSpec{Classes: []string{"a", "b"}}, Split: "test", Images: 2, Accuracy: 0.5,
		ClassAcc: []float64{1, 0}, Confusion: [][]int{{1, 0}, {1, 0}}, Shape: [3]int{1, 2, 2},
		Worst: []Miss{{Index: 1, Label: 1, Pred: 0, Prob: 0.9, Pixels: []byte{0, 80, 160, 240}}}}
}

// TestEvalSpecRender: each kind of evaluation item writes its files from
// the manifest alone, and the misclassified figure needs only the pixels
// the evaluation holds.
func TestEvalSpecRender(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"table", "confusion", "misclassified"} {
		s := &EvalSpec{Kind: kind, Title: "tiny " + kind, Slug: "tiny-" + kind, Eval: tinyEval()}
		tab, files, err := s.Render(dir)
		if err != nil || len(files) != 2 {
			t.Fatalf("%s: %v %v", kind, files, err)
		}
		for _, f := range files {
			if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %s: %v", kind, f, err)
			}
		}
		if (kind == "table") != (len(tab.Rows) == 3) {
			t.Errorf("%s: table of %d rows", kind, len(tab.Rows))
		}
	}
	if _, _, err := (&EvalSpec{Kind: "pie", Slug: "x", Eval: tinyEval()}).Render(dir); err == nil {
		t.Errorf("unknown kind rendered")
	}
}
