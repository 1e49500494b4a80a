package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// SeedSetting is the setting name that varies only the random seed: records
// that differ in nothing else are one configuration, and tables show them as
// one row of mean ± std.
const SeedSetting = "seed"

// SeedsColumn is the column NewTable adds (or fills, when asked for) with the
// number of seeds behind each row.
const SeedsColumn = "seeds"

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
	{"seconds", "training wall time", func(r Record) (float64, bool) { return r.Seconds, true }, 1},
	{"best_epoch", "epoch of the kept parameters", func(r Record) (float64, bool) { return float64(r.Result.BestEpoch), true }, 0},
	{"loss", "final training loss (last iteration)", func(r Record) (float64, bool) {
		if n := len(r.Result.Loss); n > 0 {
			return r.Result.Loss[n-1], true
		}
		return 0, false
	}, 4},
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

// DefaultColumns are the columns NewTable shows when given none: every
// setting of the records, then the three accuracies and the time.
var DefaultColumns = []string{"train_acc", "val_acc", "test_acc", "seconds"}

// group is one table row: the records of one configuration, which differ at
// most in their seed.
type group struct {
	recs []Record
}

// NewTable builds a comparison table of recs.
//
// columns are names of settings (Trial.Settings, e.g. "filter_size",
// "dropout", "seed") or of result metrics: train_acc, val_acc, test_acc,
// seconds, status, best_epoch, loss (the final iteration's), and seeds (the
// number of records behind a row). A metric name wins over a setting of the
// same name. An unknown name is an error listing the valid ones. No columns
// means every setting (except seed, when rows are grouped) followed by
// DefaultColumns.
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
func NewTable(title string, recs []Record, columns []string, sortBy string) (Table, error) {
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
			if !(grouped && s == SeedSetting) {
				columns = append(columns, s)
			}
		}
		columns = append(columns, DefaultColumns...)
	}
	valid := validColumns(settings)
	for _, c := range columns {
		if !valid[c] {
			return Table{}, fmt.Errorf("results: table %q: unknown column %q; valid columns: %s", title, c, validList(settings))
		}
	}
	cols := slices.Clone(columns)
	if grouped && !slices.Contains(cols, SeedsColumn) {
		cols = append(cols, SeedsColumn)
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

	t := Table{Title: title, Columns: cols, Rows: make([][]string, len(groups))}
	for i, g := range groups {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = cell(g, c)
		}
		t.Rows[i] = row
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
	valid := map[string]bool{statusColumn: true, SeedsColumn: true}
	for _, m := range metrics {
		valid[m.name] = true
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
	names = append(names, statusColumn, SeedsColumn)
	return strings.Join(names, ", ")
}

// groupRecords splits recs into configurations (see NewTable), in order of
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
		if s.Name == SeedSetting {
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

// cell formats column c of group g.
func cell(g *group, c string) string {
	if m, ok := findMetric(c); ok {
		return metricCell(g, m)
	}
	switch c {
	case statusColumn:
		return statusCell(g)
	case SeedsColumn:
		return strconv.Itoa(len(g.recs))
	}
	// A setting: equal across the group except the seed, which lists all.
	var vals []string
	seen := map[string]bool{}
	for _, r := range g.recs {
		v, ok := r.Trial.Setting(c)
		s := "-"
		if ok {
			s = FormatValue(v)
		}
		if !seen[s] {
			seen[s] = true
			vals = append(vals, s)
		}
	}
	return strings.Join(vals, ",")
}

func metricCell(g *group, m metric) string {
	var xs []float64
	for _, r := range g.recs {
		if v, ok := m.value(r); ok {
			xs = append(xs, v)
		}
	}
	switch len(xs) {
	case 0:
		return "-"
	case 1:
		return formatFixed(xs[0], m.decimals)
	}
	mean, std := meanStd(xs)
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		return formatFixed(mean, m.decimals) // a diverged seed: no spread to show
	}
	d := m.decimals
	if d == 0 {
		d = 1 // an averaged integer is not an integer
	}
	return formatFixed(mean, d) + " ± " + formatFixed(std, d)
}

// statusCell shows the common status, or each status with its count
// ("diverged:1 ok:2") when the seeds of a configuration disagree.
func statusCell(g *group) string {
	counts := map[string]int{}
	for _, r := range g.recs {
		counts[r.Result.Status]++
	}
	if len(counts) == 1 {
		return g.recs[0].Result.Status
	}
	names := make([]string, 0, len(counts))
	for s := range counts {
		names = append(names, s)
	}
	sort.Strings(names)
	for i, s := range names {
		names[i] = fmt.Sprintf("%s:%d", s, counts[s])
	}
	return strings.Join(names, " ")
}

// formatFixed writes x with d decimals; non-finite values as NaN, +Inf, -Inf.
func formatFixed(x float64, d int) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	s := strconv.FormatFloat(x, 'f', d, 64)
	if strings.TrimLeft(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-") // no "-0.000"
	}
	return s
}

// meanStd returns the mean and the sample standard deviation (n-1), the
// usual spread of a few seeds.
func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// sortValue orders cells: numbers numerically before text, missing last.
type sortValue struct {
	missing bool
	isNum   bool
	num     float64
	text    string
}

func (a sortValue) less(b sortValue) bool {
	if a.missing != b.missing {
		return !a.missing
	}
	if a.isNum != b.isNum {
		return a.isNum
	}
	if a.isNum {
		an, bn := math.IsNaN(a.num), math.IsNaN(b.num)
		if an || bn {
			return !an && bn
		}
		return a.num < b.num
	}
	return a.text < b.text
}

// sortKey is the value a group is sorted by in column c: the mean of a
// metric, the (first record's) value of a setting.
func sortKey(g *group, c string) sortValue {
	if m, ok := findMetric(c); ok {
		var xs []float64
		for _, r := range g.recs {
			if v, ok := m.value(r); ok {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return sortValue{missing: true}
		}
		mean, _ := meanStd(xs)
		return sortValue{isNum: true, num: mean}
	}
	switch c {
	case statusColumn:
		return sortValue{text: statusCell(g)}
	case SeedsColumn:
		return sortValue{isNum: true, num: float64(len(g.recs))}
	}
	v, ok := g.recs[0].Trial.Setting(c)
	if !ok {
		return sortValue{missing: true}
	}
	switch x := v.(type) {
	case float64:
		return sortValue{isNum: true, num: x}
	case float32:
		return sortValue{isNum: true, num: float64(x)}
	case bool:
		return sortValue{text: FormatValue(x)}
	}
	if i, ok := asInt64(v); ok {
		return sortValue{isNum: true, num: float64(i)}
	}
	return sortValue{text: FormatValue(v)}
}

// numericColumns reports, per column, whether every cell is a number (or a
// mean ± std, or "-"), so renderers can right-align it.
func (t Table) numericColumns() []bool {
	num := make([]bool, len(t.Columns))
	for j := range t.Columns {
		num[j] = len(t.Rows) > 0
		for _, row := range t.Rows {
			if j >= len(row) {
				continue
			}
			c := strings.Split(row[j], " ± ")[0]
			if c == "-" || c == "NaN" || c == "+Inf" || c == "-Inf" {
				continue
			}
			if _, err := strconv.ParseFloat(c, 64); err != nil {
				num[j] = false
				break
			}
		}
	}
	return num
}

// check reports a row whose length differs from the header.
func (t Table) check() error {
	for i, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return fmt.Errorf("results: table %q: row %d has %d cells for %d columns", t.Title, i+1, len(row), len(t.Columns))
		}
	}
	return nil
}

// Render writes t to w as a terminal table (tablewriter), preceded by its
// title on a line of its own. Column names are shown as given (no upper
// casing), cells never wrap, numeric columns are right-aligned.
//
// This is the only place the package touches tablewriter, whose API changed
// completely between v0.0.5 and v1; the golden test pins its output.
func (t Table) Render(w io.Writer) error {
	if err := t.check(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if t.Title != "" {
		buf.WriteString(t.Title + "\n")
	}
	align := make([]tw.Align, len(t.Columns))
	for j, num := range t.numericColumns() {
		align[j] = tw.AlignLeft
		if num {
			align[j] = tw.AlignRight
		}
	}
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	header := make([]any, len(t.Columns))
	for j, c := range t.Columns {
		header[j] = c
	}
	tbl.Header(header...)
	if err := tbl.Bulk(t.Rows); err != nil {
		return fmt.Errorf("results: table %q: %w", t.Title, err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("results: table %q: %w", t.Title, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Markdown returns t as a GitHub pipe table (no title): columns padded to a
// common width so the raw file reads as a table too, numeric columns
// right-aligned, "|" in cells escaped.
func (t Table) Markdown() (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	num := t.numericColumns()
	width := make([]int, len(t.Columns))
	for j, c := range t.Columns {
		width[j] = max(3, utf8.RuneCountInString(esc(c)))
		for _, row := range t.Rows {
			width[j] = max(width[j], utf8.RuneCountInString(esc(row[j])))
		}
	}
	pad := func(s string, j int) string {
		gap := strings.Repeat(" ", width[j]-utf8.RuneCountInString(s))
		if num[j] {
			return gap + s
		}
		return s + gap
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for j, c := range cells {
			b.WriteString(" " + pad(esc(c), j) + " |")
		}
		b.WriteString("\n")
	}
	line(t.Columns)
	b.WriteString("|")
	for j := range t.Columns {
		if num[j] {
			b.WriteString(" " + strings.Repeat("-", width[j]-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", width[j]) + " |")
		}
	}
	b.WriteString("\n")
	for _, row := range t.Rows {
		line(row)
	}
	return b.String(), nil
}

// CSV returns t as RFC 4180 CSV: a header line of column names, then the
// rows, exactly the cells the other outputs show.
func (t Table) CSV() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(t.Columns); err != nil {
		return nil, err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFiles writes t as <dir>/<slug>.md and <slug>.csv and returns the paths.
// The Markdown file starts with the title as a heading. Both are written
// atomically; dir is created if needed. slug must be a plain file name stem
// (see Slug).
func (t Table) WriteFiles(dir, slug string) (md, csvPath string, err error) {
	if slug == "" || slug != filepath.Base(slug) || strings.ContainsAny(slug, `/\`) || slug == "." || slug == ".." {
		return "", "", fmt.Errorf("results: table %q: invalid file name %q", t.Title, slug)
	}
	mdText, err := t.Markdown()
	if err != nil {
		return "", "", err
	}
	if t.Title != "" {
		mdText = "# " + t.Title + "\n\n" + mdText
	}
	csvText, err := t.CSV()
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("results: %w", err)
	}
	md = filepath.Join(dir, slug+".md")
	csvPath = filepath.Join(dir, slug+".csv")
	if err := writeFileAtomic(md, []byte(mdText)); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(csvPath, csvText); err != nil {
		return "", "", err
	}
	return md, csvPath, nil
}

// Slug turns a title into a file name stem: lower-case letters, digits and
// single dashes ("Filter size (3, 5, 7)" → "filter-size-3-5-7"); "table" when
// nothing is left.
func Slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	if b.Len() == 0 {
		return "table"
	}
	return b.String()
}
