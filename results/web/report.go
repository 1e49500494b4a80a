package web

import (
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"

	"github.com/pipe-ml/pipe/results"
)

// ReportFile is the name of the HTML report written beside report.md.
const ReportFile = "report.html"

// WriteReport writes <dir>/report.html for m's report: the sections of
// report.md (Manifest.ReportSections) in one self-contained page — tables
// that sort and filter, curves drawn again from the records as inline SVG
// with the values under the pointer, filter images inline — linking the
// same Markdown, CSV, SVG and PNG files. The figures' files must be under
// dir already. Like report.md it holds no timestamps and no absolute paths,
// so the same records give the same bytes. It returns the path written.
func WriteReport(dir string, m *results.Manifest, store results.Getter) (string, error) {
	sections, err := m.ReportSections(dir, store)
	if err != nil {
		return "", err
	}
	body, err := sectionsHTML(dir, m.Report.Title, sections, store)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, ReportFile)
	if err := results.WriteFile(path, []byte(page(m.Report.Title, "", body))); err != nil {
		return "", err
	}
	return path, nil
}

// sectionsHTML renders sections under an h1 title; links are relative to
// dir.
func sectionsHTML(dir, title string, sections []results.Section, store results.Getter) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(title))
	figs := 0
	for _, s := range sections {
		if s.Title != "" {
			fmt.Fprintf(&b, "<h2 id=\"%s\">%s</h2>\n", html.EscapeString(results.Slug(s.Title)), html.EscapeString(s.Title))
		}
		if text := strings.TrimSpace(s.Text); text != "" {
			b.WriteString(markdown(text))
		}
		for _, t := range s.Tables {
			if t.Title != "" {
				fmt.Fprintf(&b, "<h3>%s</h3>\n", html.EscapeString(t.Title))
			}
			links := ""
			if t.Slug != "" {
				links = fmt.Sprintf("<span class=\"links\"><a href=\"tables/%s.md\">Markdown</a> · <a href=\"tables/%s.csv\">CSV</a></span>", t.Slug, t.Slug)
			}
			b.WriteString(tableHTML(t, tableOptions{Links: links}))
		}
		for _, f := range s.Figures {
			figs++
			h, err := figureHTML(dir, fmt.Sprintf("fig%d", figs), f, store)
			if err != nil {
				return "", fmt.Errorf("results: report section %q: %w", s.Title, err)
			}
			b.WriteString(h)
		}
	}
	return b.String(), nil
}

// figureHTML draws one figure: curves as an interactive chart from the
// records, a filter image as its SVG file inline, and links to the files.
func figureHTML(dir, id string, f results.Figure, store results.Getter) (string, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var links []string
	svgFile := ""
	for _, file := range f.Files {
		abs, err := filepath.Abs(file)
		if err != nil {
			return "", err
		}
		rel, err := filepath.Rel(absDir, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			return "", fmt.Errorf("figure file %s is outside the report folder %s", file, dir)
		}
		rel = filepath.ToSlash(rel)
		ext := strings.TrimPrefix(filepath.Ext(file), ".")
		if ext == "svg" {
			svgFile = file
		}
		links = append(links, fmt.Sprintf("<a href=\"%s\">%s</a>", html.EscapeString(rel), strings.ToUpper(ext)))
	}
	var b strings.Builder
	drawn := false
	if p := f.Plot; p != nil && p.Metric != "filters" {
		recs, err := results.Records(store, p.Trials, fmt.Sprintf("figure %q", p.Title))
		if err != nil {
			return "", err
		}
		labels := p.Labels
		if len(labels) != len(recs) {
			labels = make([]string, len(recs))
			for i, r := range recs {
				labels[i] = results.Label(r)
			}
		}
		if p.Metric == "loss" {
			b.WriteString(lossChart(p.Title, recs, labels).html(id))
		} else {
			b.WriteString(accuracyChart(p.Title, recs, labels).html(id))
		}
		drawn = true
	}
	if !drawn && svgFile != "" {
		svg, err := os.ReadFile(svgFile)
		if err != nil {
			return "", fmt.Errorf("figure %q: %w", f.Caption, err)
		}
		s := string(svg)
		if i := strings.Index(s, "<svg"); i >= 0 {
			s = s[i:]
		}
		fmt.Fprintf(&b, "<figure class=\"filters\">\n%s\n", strings.TrimSpace(s))
		fmt.Fprintf(&b, "<figcaption>%s</figcaption>\n</figure>\n", html.EscapeString(f.Caption))
	}
	fmt.Fprintf(&b, "<p class=\"links\">%s — %s</p>\n", html.EscapeString(f.Caption), strings.Join(links, " · "))
	return b.String(), nil
}

// Render is results.Manifest.Render followed by report.html when the
// manifest has a report: everything pipe run wrote for the pipeline, again,
// from the manifest and the records alone.
func Render(dir string, m *results.Manifest, store results.Getter) error {
	if err := m.Render(dir, store); err != nil {
		return err
	}
	if m.Report == nil {
		return nil
	}
	_, err := WriteReport(dir, m, store)
	return err
}
