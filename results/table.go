package results

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pipe-ml/pipe/nn"
)

// seedSetting is the setting name that varies only the random seed: records
// that differ in nothing else are one configuration, and tables show them as
// one row of mean ± std.
const seedSetting = "seed"

// seedsColumn is the column newTable adds (or fills, when asked for) with the
// number of seeds behind each row.
const seedsColumn = "seeds"

// metric is a table column computed from a record's result.
type metric struct {
	name string
	doc  string
	// value returns the number behind the cell; ok=false leaves the cell "-".
	value func(Record) (v float64, ok bool)
	// decimals of the fixed format; every cell of a column has the same
	// number of decimals so tables are byte-stable and line up.
	decimals int
}

// metrics are the result columns, in the order error messages list them.
var metrics = []metric{
	{"train_acc", "training accuracy of the kept parameters", func(r Record) (float64, bool) { return r.Result.TrainAcc, true }, 3},
	{"val_acc", "best validation accuracy", func(r Record) (float64, bool) { return r.Result.ValAcc, true }, 3},
	{"test_acc", "test accuracy of the kept parameters", func(r Record) (float64, bool) { return r.Result.TestAcc, true }, 3},
	{"seconds", "training time in core-seconds (wall time × the cores the trial could use)", func(r Record) (float64, bool) { return r.CoreSeconds(), true }, 1},
	{"last_train_acc", "training accuracy after the last epoch", lastAcc(func(r nn.Result) []float64 { return r.TrainAccs }), 3},
	{"last_val_acc", "validation accuracy after the last epoch", lastAcc(func(r nn.Result) []float64 { return r.ValAccs }), 3},
	{"best_epoch", "epoch of the kept parameters", func(r Record) (float64, bool) { return float64(r.Result.BestEpoch), true }, 0},
	{"loss", "final training loss (last iteration)", func(r Record) (float64, bool) {
		if n := len(r.Result.Loss); n > 0 {
			return r.Result.Loss[n-1], true
		}
		return 0, false
	}, 4},
}

// lastAcc is a metric's value: the last epoch's entry of a per-epoch
// history (which train_acc and val_acc, of the best epoch, may differ from).
func lastAcc(history func(nn.Result) []float64) func(Record) (float64, bool) {
	return func(r Record) (float64, bool) {
		h := history(r.Result)
		if len(h) == 0 {
			return 0, false
		}
		return h[len(h)-1], true
	}
}

// statusColumn is the one text-valued result column.
const statusColumn = "status"

func findMetric(name string) (metric, bool) {
	for _, m := range metrics {
		if m.name == name {
			return m, true
		}
	}
	return metric{}, false
}

// secondsNote is the footnote of a table with a seconds column: a trial
// that trained alone may use every core, so wall times alone would not
// compare across rows.
const secondsNote = "seconds: core-seconds (wall time × cores the trial used), so rows compare; each record keeps its wall time and threads."

// defaultColumns are the columns newTable shows when given none: every
// setting of the records, then the three accuracies and the time.
var defaultColumns = []string{"train_acc", "val_acc", "test_acc", "seconds"}

// group is one table row: the records of one configuration, which differ at
// most in their seed.
type group struct {
	recs []Record
}

// newTable builds a comparison table of recs.
//
// columns are names of settings (Trial.Settings, e.g. "filter_size",
// "dropout", "seed") or of result metrics: train_acc, val_acc, test_acc,
// seconds, status, last_train_acc, last_val_acc (the last epoch's, where
// train_acc and val_acc are the kept best epoch's), best_epoch, loss (the
// final iteration's), and seeds (the
// number of records behind a row). A metric name wins over a setting of the
// same name. An unknown name is an error listing the valid ones. No columns
// means every setting (except seed, when rows are grouped) followed by
// defaultColumns.
//
// Records whose trials are equal except for the seed — same settings apart
// from "seed", same spec apart from Train.Seed — form one row: numeric cells
// show "mean ± std" (sample standard deviation), the seed column lists the
// seeds, and a "seeds" count column is appended. A non-finite value in a
// group (a diverged seed's NaN loss) makes the cell that value alone.
// Formats are fixed so output is byte-stable: accuracies 3 decimals, seconds
// 1, loss 4, best_epoch an integer (1 decimal when averaged); a record
// without a setting shows "-".
//
// sort is a column name, "-name" for descending; rows with equal values, and
// all rows when sort is "", keep the order in which their first record appears
// in recs (the pipeline's order).
//
// Grouped rows that show val_acc also get its 95% confidence interval
// (val_acc_ci95; any metric's is a column named <metric>_ci95). compare
// adds the "vs best" column of compareCells.
func newTable(title string, recs []Record, columns []string, sortBy string, compare bool) (Table, error) {
	settings := settingNames(recs)
	groups := groupRecords(recs)
	grouped := false
	for _, g := range groups {
		if len(g.recs) > 1 {
			grouped = true
		}
	}

	if len(columns) == 0 {
		for _, s := range settings {
			if !(grouped && s == seedSetting) {
				columns = append(columns, s)
			}
		}
		columns = append(columns, defaultColumns...)
	}
	valid := validColumns(settings)
	for _, c := range columns {
		if !valid[c] {
			return Table{}, fmt.Errorf("results: table %q: unknown column %q; valid columns: %s", title, c, validList(settings))
		}
	}
	cols := slices.Clone(columns)
	if i := slices.Index(cols, compareMetric); grouped && i >= 0 && !slices.Contains(cols, compareMetric+ciSuffix) {
		cols = slices.Insert(cols, i+1, compareMetric+ciSuffix)
	}
	if grouped && !slices.Contains(cols, seedsColumn) {
		cols = append(cols, seedsColumn)
	}

	desc := strings.HasPrefix(sortBy, "-")
	sortCol := strings.TrimPrefix(sortBy, "-")
	if sortCol != "" && !valid[sortCol] {
		return Table{}, fmt.Errorf("results: table %q: cannot sort by unknown column %q; valid columns: %s", title, sortCol, validList(settings))
	}
	if sortCol != "" {
		sort.SliceStable(groups, func(i, j int) bool {
			a, b := sortKey(groups[i], sortCol), sortKey(groups[j], sortCol)
			if desc {
				return b.less(a)
			}
			return a.less(b)
		})
	}

	var vsBest []string
	if compare {
		cols = append(cols, compareColumn)
		vsBest = compareCells(groups)
	}
	t := Table{Title: title, Columns: cols, Rows: make([][]string, len(groups))}
	if slices.Contains(cols, "seconds") {
		t.Note = secondsNote
	}
	for i, g := range groups {
		row := make([]string, len(cols))
		for j, c := range cols {
			if c == compareColumn {
				row[j] = vsBest[i]
				continue
			}
			row[j] = cell(g, c)
		}
		t.Rows[i] = row
	}
	for _, c := range cols {
		if _, ok := findMetric(c); ok && grouped {
			t.csvColumns = append(t.csvColumns, c+"_mean", c+"_std", c+"_n")
		} else {
			t.csvColumns = append(t.csvColumns, c)
		}
	}
	for _, g := range groups {
		var row []string
		for _, c := range cols {
			row = append(row, csvCells(g, c, grouped)...)
		}
		t.csvRows = append(t.csvRows, row)
	}
	return t, nil
}

// settingNames lists the setting names of recs in order of first appearance.
func settingNames(recs []Record) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range recs {
		for _, s := range r.Trial.Settings {
			if !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	return names
}

func validColumns(settings []string) map[string]bool {
	valid := map[string]bool{statusColumn: true, seedsColumn: true}
	for _, m := range metrics {
		valid[m.name] = true
		valid[m.name+ciSuffix] = true
	}
	for _, s := range settings {
		valid[s] = true
	}
	return valid
}

// validList names the valid columns for error messages: settings first (in
// pipeline order), then the metrics.
func validList(settings []string) string {
	names := append([]string(nil), settings...)
	for _, m := range metrics {
		names = append(names, m.name)
	}
	names = append(names, statusColumn, seedsColumn)
	return strings.Join(names, ", ")
}

// groupRecords splits recs into configurations (see newTable), in order of
// first appearance.
func groupRecords(recs []Record) []*group {
	var groups []*group
	index := map[string]*group{}
	for _, r := range recs {
		k := configKey(r)
		g := index[k]
		if g == nil {
			g = &group{}
			index[k] = g
			groups = append(groups, g)
		}
		g.recs = append(g.recs, r)
	}
	return groups
}

// configKey identifies a record's configuration: its settings other than the
// seed, and a hash of its spec with the training seed cleared. Comparing the
// spec as well keeps apart records that a table happens to label alike but
// that trained differently.
func configKey(r Record) string {
	var b strings.Builder
	for _, s := range r.Trial.Settings {
		if s.Name == seedSetting {
			continue
		}
		fmt.Fprintf(&b, "%s=%T:%s\x00", s.Name, s.Value, FormatValue(s.Value))
	}
	t := r.Trial
	t.Train.Seed = 0
	sum := sha256.Sum256(t.canonicalJSON())
	b.Write(sum[:])
	return b.String()
}
