package results

import (
	"bytes"
	"encoding/csv"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// filterSweep is three filter sizes, one seed, in pipeline order 3, 5, 7.
func filterSweep() []Record {
	return []Record{sweepRecord(3, 0, 0.812), sweepRecord(5, 0, 0.834), sweepRecord(7, 0, 0.826)}
}

// seededSweep is filter sizes 3 and 5 over seeds 0, 1, 2, interleaved as a
// parallel run might finish them.
func seededSweep() []Record {
	return []Record{
		sweepRecord(5, 0, 0.84), sweepRecord(3, 0, 0.80), sweepRecord(3, 1, 0.81),
		sweepRecord(5, 1, 0.85), sweepRecord(3, 2, 0.83), sweepRecord(5, 2, 0.86),
	}
}

var sweepColumns = []string{"filter_size", "train_acc", "val_acc", "test_acc", "seconds", "status", "best_epoch", "loss"}

func TestTableGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		recs []Record
		sort string
	}{{"filter_size", filterSweep(), ""}, {"filter_size_seeds", seededSweep(), "-val_acc"}} {
		tbl, err := newTable("Filter size", c.recs, sweepColumns, c.sort, false)
		if err != nil {
			t.Fatal(err)
		}
		var term bytes.Buffer
		if err := tbl.Render(&term); err != nil {
			t.Fatal(err)
		}
		golden(t, c.name+".txt", term.Bytes())

		dir := t.TempDir()
		md, csvPath, err := tbl.writeFiles(dir, c.name)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, c.name+".md", readFile(t, md))
		golden(t, c.name+".csv", readFile(t, csvPath))
	}
}

// TestTableSecondsAreCoreSeconds: a trial that trained alone on two cores
// shows its wall time × 2, so it compares with one that shared them; old
// records without a thread count show their wall time; a footnote says so.
func TestTableSecondsAreCoreSeconds(t *testing.T) {
	recs := filterSweep()
	recs[0].Seconds, recs[0].Threads = 20.5, 1
	recs[1].Seconds, recs[1].Threads = 8.5, 2
	recs[2].Seconds, recs[2].Threads = 9, 0
	tbl, err := newTable("", recs, []string{"filter_size", "seconds"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"3", "20.5"}, {"5", "17.0"}, {"7", "9.0"}}
	if !reflect.DeepEqual(tbl.Rows, want) {
		t.Errorf("rows %v, want %v", tbl.Rows, want)
	}
	var term bytes.Buffer
	if err := tbl.Render(&term); err != nil {
		t.Fatal(err)
	}
	md, err := tbl.markdown()
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{term.String(), md} {
		if !strings.Contains(out, "seconds: core-seconds (wall time × cores the trial used)") {
			t.Errorf("no footnote on seconds in\n%s", out)
		}
	}
	if recs[1].WithoutTiming().Threads != 0 {
		t.Error("WithoutTiming keeps Threads, which varies with --jobs")
	}
	noSeconds, err := newTable("", recs, []string{"filter_size", "val_acc"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if noSeconds.Note != "" {
		t.Errorf("a table without seconds has the note %q", noSeconds.Note)
	}
}

func TestTableGroupsSeeds(t *testing.T) {
	tbl, err := newTable("", seededSweep(), []string{"filter_size", "seed", "val_acc", "best_epoch", "seconds"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"filter_size", "seed", "val_acc", "val_acc_ci95", "best_epoch", "seconds", "seeds"}
	if !reflect.DeepEqual(tbl.Columns, wantCols) {
		t.Errorf("columns %v, want %v", tbl.Columns, wantCols)
	}
	// Mean and sample standard deviation, computed by hand:
	// filter 5: 0.84, 0.85, 0.86 → 0.850 ± 0.010; seconds 15.0, 15.1, 15.2 → 15.1 ± 0.1
	// filter 3: 0.80, 0.81, 0.83 → 0.81333 ± 0.015275
	// 95% CI: mean ± t(0.975, 2 df) = 4.3027 · std/√3: 0.850 ± 0.0248, 0.813 ± 0.0379
	want := [][]string{
		{"5", "0,1,2", "0.850 ± 0.010", "[0.825, 0.875]", "2.0 ± 0.0", "15.1 ± 0.1", "3"},
		{"3", "0,1,2", "0.813 ± 0.015", "[0.775, 0.851]", "2.0 ± 0.0", "13.1 ± 0.1", "3"},
	}
	if !reflect.DeepEqual(tbl.Rows, want) {
		t.Errorf("rows\n%v\nwant\n%v", tbl.Rows, want)
	}
	if m, s := meanStd([]float64{0.80, 0.81, 0.83}); math.Abs(m-0.813333) > 1e-6 || math.Abs(s-0.0152753) > 1e-6 {
		t.Errorf("meanStd = %v, %v", m, s)
	}
}

func TestTableKeepsDifferentSpecsApart(t *testing.T) {
	a, b := sweepRecord(3, 0, 0.8), sweepRecord(3, 1, 0.9)
	b.Trial.Train.Epochs = 10 // same settings, but not the same configuration
	tbl, err := newTable("", []Record{a, b}, []string{"filter_size", "val_acc"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != 2 || slices.Contains(tbl.Columns, seedsColumn) {
		t.Errorf("records differing in epochs were grouped: %v %v", tbl.Columns, tbl.Rows)
	}
}

func TestTableStatusOfMixedSeeds(t *testing.T) {
	recs := seededSweep()[1:3]
	recs[0].Result.Status = "diverged"
	recs[0].Result.Loss = append(recs[0].Result.Loss, math.NaN())
	tbl, err := newTable("", recs, []string{"status", "loss"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Rows[0]; got[0] != "diverged:1 ok:1" || got[1] != "NaN" {
		t.Errorf("row %v, want status counts and NaN loss", got)
	}
}

func TestTableSort(t *testing.T) {
	for _, c := range []struct {
		sort string
		want []string // filter sizes in row order
	}{
		{"", []string{"3", "5", "7"}},
		{"val_acc", []string{"3", "7", "5"}},
		{"-val_acc", []string{"5", "7", "3"}},
		{"-filter_size", []string{"7", "5", "3"}},
		{"seed", []string{"3", "5", "7"}}, // ties keep pipeline order
	} {
		recs := filterSweep()
		tbl, err := newTable("", recs, []string{"filter_size"}, c.sort, false)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range tbl.Rows {
			got = append(got, r[0])
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("sort %q: %v, want %v", c.sort, got, c.want)
		}
	}
}

func TestTableColumnErrors(t *testing.T) {
	_, err := newTable("Filter size", filterSweep(), []string{"filter_size", "val_accuracy"}, "", false)
	if err == nil {
		t.Fatal("unknown column accepted")
	}
	for _, want := range []string{`"val_accuracy"`, `"Filter size"`, "filter_size, seed, train_acc, val_acc, test_acc, seconds, last_train_acc, last_val_acc, best_epoch, loss, status, seeds"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := newTable("", filterSweep(), nil, "-speed", false); err == nil || !strings.Contains(err.Error(), `"speed"`) {
		t.Errorf("unknown sort column: err = %v", err)
	}
}

func TestTableDefaultsAndMissingSettings(t *testing.T) {
	recs := filterSweep()
	recs[1].Trial.Settings = recs[1].Trial.Settings[:1] // no seed setting
	tbl, err := newTable("", recs, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"filter_size", "seed", "train_acc", "val_acc", "test_acc", "seconds"}
	if !reflect.DeepEqual(tbl.Columns, wantCols) {
		t.Errorf("default columns %v, want %v", tbl.Columns, wantCols)
	}
	if tbl.Rows[1][1] != "-" {
		t.Errorf("missing setting shows %q, want -", tbl.Rows[1][1])
	}
}

func TestTableOutputsCheckRows(t *testing.T) {
	bad := Table{Title: "Bad", Columns: []string{"a", "b"}, Rows: [][]string{{"1"}}}
	if err := bad.Render(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("Render of a short row: err = %v", err)
	}
	if _, _, err := bad.writeFiles(t.TempDir(), "bad"); err == nil {
		t.Error("writeFiles of a short row: no error")
	}
	good := Table{Columns: []string{"a"}}
	for _, slug := range []string{"", "../x", "a/b", ".."} {
		if _, _, err := good.writeFiles(t.TempDir(), slug); err == nil {
			t.Errorf("writeFiles slug %q: no error", slug)
		}
	}
}

func TestMarkdownEscapesPipes(t *testing.T) {
	md, err := Table{Columns: []string{"name"}, Rows: [][]string{{"a|b"}}}.markdown()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, `a\|b`) {
		t.Errorf("pipe not escaped:\n%s", md)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"Filter size (3, 5, 7)": "filter-size-3-5-7", "": "table", "  --": "table", "val_acc": "val_acc", "Dropout: p ∈ {0.1}": "dropout-p-0-1"} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSlugLongTitles: a 251-character title (which made a file name too
// long to create) gives a bounded stem; titles that differ only past the
// cut give different stems; a stem is its own slug (manifests check that).
func TestSlugLongTitles(t *testing.T) {
	long := strings.Repeat("accuracy of the base model ", 10)[:251]
	a, b := Slug(long+" seed 1"), Slug(long+" seed 2")
	if len(a) > maxSlug || len(b) > maxSlug {
		t.Errorf("Slug of a %d-character title is %d and %d long, want at most %d", len(long)+7, len(a), len(b), maxSlug)
	}
	if a == b {
		t.Errorf("two long titles share the stem %q", a)
	}
	if !strings.HasPrefix(a, "accuracy-of-the-base-model-") {
		t.Errorf("Slug = %q; want it to start with the title's words", a)
	}
	for _, s := range []string{a, b, a + "-2"} {
		if Slug(s) != s {
			t.Errorf("Slug(%q) = %q; a stem (with a -2 suffix) must be its own slug", s, Slug(s))
		}
	}
	if got := Slug(strings.Repeat("x", maxSlug)); got != strings.Repeat("x", maxSlug) {
		t.Errorf("a stem of exactly %d characters was changed to %q", maxSlug, got)
	}
}

func TestFormatFixed(t *testing.T) {
	for _, c := range []struct {
		x    float64
		d    int
		want string
	}{{0.8125, 3, "0.812"}, {-0.0001, 3, "0.000"}, {12.25, 1, "12.2"}, {math.NaN(), 3, "NaN"}, {math.Inf(-1), 1, "-Inf"}} {
		if got := formatFixed(c.x, c.d); got != c.want {
			t.Errorf("formatFixed(%v, %d) = %q, want %q", c.x, c.d, got, c.want)
		}
	}
}

func TestEmptyTable(t *testing.T) {
	tbl, err := newTable("Empty", nil, []string{"val_acc"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tbl.Render(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "val_acc") {
		t.Errorf("empty table renders as %q", buf.String())
	}
	if md, _ := tbl.markdown(); md != "| val_acc |\n| ------- |\n" {
		t.Errorf("empty Markdown %q", md)
	}
}

func TestWithoutTiming(t *testing.T) {
	a, b := sweepRecord(3, 0, 0.8), sweepRecord(3, 0, 0.8)
	b.Seconds, b.Finished = 99, "2030-01-01T00:00:00Z"
	if !reflect.DeepEqual(a.WithoutTiming(), b.WithoutTiming()) || a.WithoutTiming().Seconds != 0 {
		t.Error("WithoutTiming keeps timing fields")
	}
}

// The CSV of a seeded table loads as numbers, as pandas would read it: every
// _mean, _std and _n cell parses as a number, and they agree with the
// "mean ± std" cells the Markdown shows (to its rounding) and the seed count.
func TestTableCSVNumericColumns(t *testing.T) {
	tbl, err := newTable("Filter size", seededSweep(), sweepColumns, "", false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tbl.csv()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	col := func(name string) int {
		t.Helper()
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("CSV has no column %q: %v", name, header)
		}
		return i
	}
	for _, metric := range []string{"train_acc", "val_acc", "test_acc", "seconds", "best_epoch", "loss"} {
		if slices.Contains(header, metric) {
			t.Errorf("CSV still has the text column %q", metric)
		}
		shown := slices.Index(tbl.Columns, metric)
		for r, row := range rows[1:] {
			var v [3]float64
			for k, suffix := range []string{"_mean", "_std", "_n"} {
				x, err := strconv.ParseFloat(row[col(metric+suffix)], 64)
				if err != nil {
					t.Fatalf("row %d, %s%s = %q: not a number", r+1, metric, suffix, row[col(metric+suffix)])
				}
				v[k] = x
			}
			mean, std, _ := strings.Cut(tbl.Rows[r][shown], " ± ")
			m, _ := strconv.ParseFloat(mean, 64)
			s, _ := strconv.ParseFloat(std, 64)
			d := 0.5 * math.Pow(10, -float64(len(mean)-strings.Index(mean, ".")-1))
			if math.Abs(v[0]-m) > d || math.Abs(v[1]-s) > d || v[2] != 3 {
				t.Errorf("row %d %s: CSV %v, Markdown %q", r+1, metric, v, tbl.Rows[r][shown])
			}
		}
	}
	if got := rows[1][col("filter_size")]; got != "5" {
		t.Errorf("filter_size of the first row: %q", got)
	}
}

// TestTableCompare: compare = True marks each row against the best by the
// paired t-test over shared seeds. filter 5 - filter 3 per seed: 0.04,
// 0.04, 0.03: t = 0.03667/(0.005774/√3) = 11.0 on 2 df, p = 2(1 - F(11)) =
// 0.00816 (for 2 df, F(t) = 1/2 + t/(2√(2+t²))).
func TestTableCompare(t *testing.T) {
	recs := append(seededSweep(), sweepRecord(7, 0, 0.85), sweepRecord(7, 1, 0.84), sweepRecord(7, 2, 0.87), sweepRecord(9, 0, 0.9))
	tbl, err := newTable("", recs, []string{"filter_size", "val_acc"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := tbl.Columns; !slices.Equal(got, []string{"filter_size", "val_acc", "val_acc_ci95", "seeds", "vs best"}) {
		t.Errorf("columns %q", got)
	}
	// filter 9 (one seed) is the best by mean but shares one seed only with
	// each other row: no test.
	for i, r := range tbl.Rows[:3] {
		if r[4] != "-" {
			t.Errorf("row %d: %q, want - (one shared seed)", i, r[4])
		}
	}
	if tbl.Rows[3][4] != "best" {
		t.Errorf("best row: %q", tbl.Rows[3][4])
	}

	tbl, err = newTable("", recs[:9], []string{"filter_size", "val_acc"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{tbl.Rows[0][4], tbl.Rows[1][4], tbl.Rows[2][4]}
	// 7 (0.8533) is best; 7 - 5: 0.01, -0.01, 0.01: t = 0.00333/(0.011547/√3) = 0.5, p = 0.667;
	// 7 - 3: 0.05, 0.03, 0.04: t = 0.04/(0.01/√3) = 6.928, p = 0.0202.
	if want := []string{"≈ best (p=0.667)", "p=0.0202", "best"}; !slices.Equal(got, want) {
		t.Errorf("vs best %q, want %q", got, want)
	}
}

func TestPairedT(t *testing.T) {
	// scipy.stats.ttest_1samp([1, 2, 3, 4, 5], 0): t = 4.2426, p = 0.013244.
	if p, ok := pairedT([]float64{1, 2, 3, 4, 5}); !ok || math.Abs(p-0.013244) > 1e-5 {
		t.Errorf("p = %v, %v; want 0.013244", p, ok)
	}
	if p, ok := pairedT([]float64{0.02, 0.02}); !ok || p != 0 {
		t.Errorf("constant nonzero differences: p = %v", p)
	}
	if p, ok := pairedT([]float64{0, 0, 0}); !ok || p != 1 {
		t.Errorf("no differences: p = %v", p)
	}
	if _, ok := pairedT([]float64{1}); ok {
		t.Error("one pair tested")
	}
}

// TestNumericHeadingsRightAligned: a numeric column's heading is
// right-aligned like its cells. lr's cells (0.001, 0.003) fill the column,
// so with a left-aligned heading it read as a left-aligned column.
func TestNumericHeadingsRightAligned(t *testing.T) {
	var b strings.Builder
	tb := Table{Columns: []string{"lr", "opt", "val_acc"}, Rows: [][]string{{"0.001", "adam", "0.8"}, {"0.003", "sgd", "0.75"}}}
	if err := tb.Render(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if want := "│    lr │ opt  │ val_acc │"; lines[1] != want {
		t.Errorf("heading %q, want %q\n%s", lines[1], want, b.String())
	}
	if want := "│ 0.001 │ adam │     0.8 │"; lines[3] != want {
		t.Errorf("row %q, want %q\n%s", lines[3], want, b.String())
	}
}

// TestBlankCellsStayNumeric: a column of counts with a blank cell (the
// "all" row of an evaluation's per-class table) is still right-aligned.
func TestBlankCellsStayNumeric(t *testing.T) {
	var b strings.Builder
	tb := Table{Columns: []string{"class", "as Shirt"}, Rows: [][]string{{"Shirt", "965"}, {"T-shirt/top", "83"}, {"all", ""}}}
	if err := tb.Render(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "│ T-shirt/top │       83 │") {
		t.Errorf("counts not right-aligned:\n%s", b.String())
	}
}
