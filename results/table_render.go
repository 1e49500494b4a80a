package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// numericColumns reports, per column, whether every cell is a number (or a
// mean ± std, "-", or blank), so renderers can right-align it.
func (t Table) numericColumns() []bool {
	num := make([]bool, len(t.Columns))
	for j := range t.Columns {
		num[j] = len(t.Rows) > 0
		for _, row := range t.Rows {
			if j >= len(row) {
				continue
			}
			c := strings.Split(row[j], " ± ")[0]
			if c == "" || c == "-" || c == "NaN" || c == "+Inf" || c == "-Inf" {
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
// casing), cells never wrap, numeric columns are right-aligned, their
// headings too: a heading left-aligned over numbers as wide as the column
// (lr's 0.001, 0.003) made the column look left-aligned.
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
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
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
	if t.Note != "" {
		buf.WriteString(t.Note + "\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// markdown returns t as a GitHub pipe table (no title): columns padded to a
// common width so the raw file reads as a table too, numeric columns
// right-aligned, "|" in cells escaped.
func (t Table) markdown() (string, error) {
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
	if t.Note != "" {
		b.WriteString("\n" + esc(t.Note) + "\n")
	}
	return b.String(), nil
}

// csv returns t as RFC 4180 CSV: a header line of column names, then the
// rows. A table newTable built holds numbers for machines (see csvCells):
// full precision, a "mean ± std" cell as _mean, _std and _n columns,
// missing values empty. Other tables hold the cells the other outputs show.
func (t Table) csv() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	cols, rows := t.Columns, t.Rows
	if t.csvColumns != nil {
		cols, rows = t.csvColumns, t.csvRows
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	if err := cw.Write(cols); err != nil {
		return nil, err
	}
	if err := cw.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeFiles writes t as <dir>/<slug>.md and <slug>.csv and returns the paths.
// The Markdown file starts with the title as a heading. Both are written
// atomically; dir is created if needed. slug must be a plain file name stem
// (see Slug).
func (t Table) writeFiles(dir, slug string) (md, csvPath string, err error) {
	if slug == "" || slug != filepath.Base(slug) || strings.ContainsAny(slug, `/\`) || slug == "." || slug == ".." {
		return "", "", fmt.Errorf("results: table %q: invalid file name %q", t.Title, slug)
	}
	mdText, err := t.markdown()
	if err != nil {
		return "", "", err
	}
	if t.Title != "" {
		mdText = "# " + t.Title + "\n\n" + mdText
	}
	csvText, err := t.csv()
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

// maxSlug bounds the file name stems Slug makes, far below the 255 bytes
// file systems allow, so that "-2" suffixes and extensions still fit.
const maxSlug = 100

// Slug turns a title into a file name stem: lower-case letters, digits and
// single dashes ("Filter size (3, 5, 7)" → "filter-size-3-5-7"); "table" when
// nothing is left. A stem longer than maxSlug is cut to 81 characters and
// ends in "-" and 8 hex digits of the SHA-256 of the whole title, so long
// titles that share their first words still get different files. Slug of a
// stem it returned is that stem.
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
	slug := b.String()
	if len(slug) > maxSlug {
		sum := sha256.Sum256([]byte(title))
		slug = strings.TrimRight(slug[:maxSlug-19], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	return slug
}
