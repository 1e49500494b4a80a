package results

import (
	"fmt"
	"path/filepath"
	"strings"
)

// ReportFile is the name of the report WriteReport writes.
const ReportFile = "report.md"

// Section is one part of the report: a heading, free Markdown text, tables
// and figures, shown in that order.
type Section struct {
	// Title becomes a "## " heading; an empty title adds none (an
	// introduction).
	Title string
	// Text is Markdown written as given, between the heading and the tables.
	Text string
	// Tables are written by WriteReport under tables/, shown inline and
	// linked as Markdown and CSV.
	Tables []Table
	// Figures are files already written under the report's folder, typically
	// by PlotLoss, PlotAccuracy or PlotFilters into FigurePath(dir, name).
	Figures []Figure
}

// Figure is one figure of a section: the files a Plot function returned.
type Figure struct {
	Caption string
	// Files are the figure's files (e.g. x.svg and x.png), each under the
	// report's folder. The PNG is embedded; every file is linked.
	Files []string
}

// FigurePath is where a report's figure named name should be drawn:
// <dir>/figures/<slug of name>, without extension, as the Plot functions
// take it.
func FigurePath(dir, name string) string {
	return filepath.Join(dir, "figures", Slug(name))
}

// WriteReport writes <dir>/report.md from sections, and each section's tables
// as <dir>/tables/<slug>.md and .csv (slugs made unique by a numeric
// suffix, in order), and returns the report's path.
//
// The report holds only what the sections say, in their order: no timestamps,
// no absolute paths (links are relative to dir, with forward slashes), so the
// same sections give a byte-identical report. A figure file outside dir is an
// error, as its link would break when the folder is moved.
func WriteReport(dir string, sections []Section) (string, error) {
	return WriteTitledReport(dir, "Report", sections)
}

// WriteTitledReport is WriteReport with title as the report's "# " heading
// instead of "Report". A table whose Slug is set is written under that file
// name stem (a pipeline's table() call chose it, and the report links the
// same files); the others get the slug of their title, made unique.
func WriteTitledReport(dir, title string, sections []Section) (string, error) {
	return writeReport(dir, title, sections, true)
}

// writeReport is WriteTitledReport; with writeTables false the tables'
// files are taken to be written already (a manifest's tables are, under
// their slugs) and are only linked.
func writeReport(dir, title string, sections []Section, writeTables bool) (string, error) {
	if strings.TrimSpace(title) == "" || strings.ContainsAny(title, "\r\n") {
		return "", fmt.Errorf("results: report title %q: want one non-empty line", title)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("results: report folder %s: %w", dir, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", title)
	used := map[string]bool{}
	for _, s := range sections {
		for _, t := range s.Tables {
			if t.Slug != "" {
				used[t.Slug] = true
			}
		}
	}
	for _, s := range sections {
		if s.Title != "" {
			fmt.Fprintf(&b, "\n## %s\n", s.Title)
		}
		if text := strings.TrimSpace(s.Text); text != "" {
			fmt.Fprintf(&b, "\n%s\n", text)
		}
		for _, t := range s.Tables {
			slug := t.Slug
			if slug == "" {
				base := Slug(t.Title)
				slug = base
				for n := 2; used[slug]; n++ {
					slug = fmt.Sprintf("%s-%d", base, n)
				}
				used[slug] = true
			}
			tablesDir := filepath.Join(dir, "tables")
			md, csv := filepath.Join(tablesDir, slug+".md"), filepath.Join(tablesDir, slug+".csv")
			if writeTables {
				if md, csv, err = t.WriteFiles(tablesDir, slug); err != nil {
					return "", err
				}
			}
			inline, err := t.Markdown()
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
