package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeStudy writes a small report the way pipe report would: tables and
// figures from records only.
func writeStudy(t *testing.T, dir string) string {
	t.Helper()
	recs := curveSweep()
	tbl, err := newTable("Filter size", recs, sweepColumns[:5], "", false)
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := newTable("Filter size", seededSweep(), []string{"filter_size", "val_acc"}, "filter_size", false)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := plotLoss(recs, nil, "Loss", figurePath(dir, "filter size loss"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := plotAccuracy(recs, nil, "Accuracy", figurePath(dir, "filter size accuracy"), "accuracy")
	if err != nil {
		t.Fatal(err)
	}
	filters, err := plotFilters(testFilters(8, 3, 5), "Filters", figurePath(dir, "best filters"))
	if err != nil {
		t.Fatal(err)
	}
	// A manifest's tables are written before its report, which links them.
	tbl.Slug, seeds.Slug = "filter-size", "filter-size-2"
	for _, tb := range []Table{tbl, seeds} {
		if _, _, err := tb.writeFiles(filepath.Join(dir, "tables"), tb.Slug); err != nil {
			t.Fatal(err)
		}
	}
	path, err := writeReport(dir, "Report", []Section{
		{Text: "The course study, rebuilt from records."},
		{
			Title:   "Filter size",
			Text:    "Filters of 3, 5 and 7 pixels.\n\nOne epoch each.",
			Tables:  []Table{tbl, seeds},
			Figures: []Figure{{Caption: "Training loss", Files: loss}, {Caption: "Accuracy", Files: acc}},
		},
		{Title: "Best net", Figures: []Figure{{Caption: "First-layer filters", Files: filters}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportGolden(t *testing.T) {
	dir := t.TempDir()
	path := writeStudy(t, dir)
	if path != filepath.Join(dir, ReportFile) {
		t.Errorf("report path %s", path)
	}
	report := readFile(t, path)
	golden(t, "report.md", report)

	// Every relative link resolves to a file in the folder.
	for _, line := range strings.Split(string(report), "\n") {
		for _, part := range strings.Split(line, "](")[1:] {
			link := part[:strings.Index(part, ")")]
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(link))); err != nil {
				t.Errorf("broken link %s: %v", link, err)
			}
		}
	}
}

func TestReportIsByteStable(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeStudy(t, a)
	writeStudy(t, b)
	// Compare every file of both folders.
	var n int
	err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		other, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if string(other) != string(readFile(t, path)) {
			t.Errorf("%s differs between two runs", rel)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 11 { // report, 2 tables x 2 files, 3 figures x 2 files
		t.Errorf("%d files written, want 11", n)
	}
}

func TestReportRejectsOutsideFigures(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "x.png")
	_, err := writeReport(dir, "Report", []Section{{Title: "S", Figures: []Figure{{Caption: "c", Files: []string{outside}}}}})
	if err == nil || !strings.Contains(err.Error(), outside) || !strings.Contains(err.Error(), `"S"`) {
		t.Errorf("figure outside the folder: err = %v", err)
	}
	_, err = writeReport(dir, "Report", []Section{{Title: "S", Figures: []Figure{{Caption: "c"}}}})
	if err == nil || !strings.Contains(err.Error(), "no files") {
		t.Errorf("figure without files: err = %v", err)
	}
	for _, title := range []string{"", "two\nlines"} {
		if _, err := writeReport(dir, title, nil); err == nil {
			t.Errorf("report title %q accepted", title)
		}
	}
}
