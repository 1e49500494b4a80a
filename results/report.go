package results

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ReportFile is the name of the report a manifest writes.
const ReportFile = "report.md"

// Section is one part of the report: a heading, free Markdown text, tables
// and figures, shown in that order.
type Section struct {
	// Title becomes a "## " heading; an empty title adds none (an
	// introduction).
	Title string
	// Text is Markdown written as given, between the heading and the tables.
	Text string
	// Tables are shown inline and linked as Markdown and CSV: each one's
	// files are tables/<Slug>.md and .csv.
	Tables []Table
	// Figures are files already written under the report's folder, typically
	// by a plot function into figurePath(dir, name).
	Figures []Figure
}

// Figure is one figure of a section: the files a plot function returned.
type Figure struct {
	Caption string
	// Files are the figure's files (e.g. x.svg and x.png), each under the
	// report's folder. The PNG is embedded; every file is linked.
	Files []string
	// Plot is the plot() call that drew the figure, when the section came
	// from a manifest (Manifest.ReportSections): report.html draws its
	// curves again from the records, with the values under the pointer.
	Plot *PlotSpec
}

// figurePath is where a report's figure named name is drawn:
// <dir>/figures/<slug of name>, without extension, as the plot functions
// take it.
func figurePath(dir, name string) string {
	return filepath.Join(dir, "figures", Slug(name))
}

// writeReport writes <dir>/report.md from sections and returns its path.
// Each table's files must already be written as <dir>/tables/<Slug>.md and
// .csv (a manifest's tables are); the report shows the table inline and
// links them.
//
// The report holds only what the sections say, in their order: no timestamps,
// no absolute paths (links are relative to dir, with forward slashes), so the
// same sections give a byte-identical report. A figure file outside dir is an
// error, as its link would break when the folder is moved.
func writeReport(dir, title string, sections []Section) (string, error) {
	if strings.TrimSpace(title) == "" || strings.ContainsAny(title, "\r\n") {
		return "", fmt.Errorf("results: report title %q: want one non-empty line", title)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("results: report folder %s: %w", dir, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", title)
	for _, s := range sections {
		if s.Title != "" {
			fmt.Fprintf(&b, "\n## %s\n", s.Title)
		}
		if text := strings.TrimSpace(s.Text); text != "" {
			fmt.Fprintf(&b, "\n%s\n", text)
		}
		for _, t := range s.Tables {
			tablesDir := filepath.Join(dir, "tables")
			md, csv := filepath.Join(tablesDir, t.Slug+".md"), filepath.Join(tablesDir, t.Slug+".csv")
			inline, err := t.markdown()
			if err != nil {
				return "", err
			}
			if t.Title != "" {
				fmt.Fprintf(&b, "\n**%s**\n", t.Title)
			}
			fmt.Fprintf(&b, "\n%s\n", inline)
			mdRel, err := relLink(absDir, md)
			if err != nil {
				return "", err
			}
			csvRel, err := relLink(absDir, csv)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "[Markdown](%s) · [CSV](%s)\n", mdRel, csvRel)
		}
		for _, f := range s.Figures {
			if len(f.Files) == 0 {
				return "", fmt.Errorf("results: report section %q: figure %q has no files", s.Title, f.Caption)
			}
			var links []string
			embed := ""
			for _, file := range f.Files {
				rel, err := relLink(absDir, file)
				if err != nil {
					return "", fmt.Errorf("results: report section %q: %w", s.Title, err)
				}
				ext := strings.TrimPrefix(filepath.Ext(file), ".")
				if ext == "png" && embed == "" {
					embed = rel
				}
				links = append(links, fmt.Sprintf("[%s](%s)", strings.ToUpper(ext), rel))
			}
			b.WriteString("\n")
			if embed != "" {
				fmt.Fprintf(&b, "![%s](%s)\n\n", f.Caption, embed)
			}
			if f.Caption != "" {
				fmt.Fprintf(&b, "%s — ", f.Caption)
			}
			fmt.Fprintf(&b, "%s\n", strings.Join(links, " · "))
		}
	}
	path := filepath.Join(dir, ReportFile)
	if err := writeFileAtomic(path, []byte(b.String())); err != nil {
		return "", err
	}
	return path, nil
}

// relLink returns path relative to absDir with forward slashes, or an error
// when path lies outside absDir.
func relLink(absDir, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absDir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("file %s is outside the report folder %s", path, absDir)
	}
	return filepath.ToSlash(rel), nil
}

// WriteFile replaces path with data atomically, as every output of the
// package is written, for renderers of other formats (report.html).
func WriteFile(path string, data []byte) error { return writeFileAtomic(path, data) }
