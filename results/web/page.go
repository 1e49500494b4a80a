// Package web renders pipe's results for a browser: report.html, a
// self-contained report written beside report.md, and the pages of pipe
// serve, a read-only dashboard over an output folder. Both are built from
// the trial store and the manifests only; nothing here trains or writes
// anything but report.html.
//
// The files of the package, by concern:
//
//	page.go      the page shell (inline CSS and script), tables, Markdown
//	chart.go     line charts as inline SVG with values under the pointer
//	report.go    report.html
//	serve.go     the pipe serve handler: dashboard, comparison, live progress
//	store.go     reading a trial store that may change while it is read
package web

import (
	_ "embed"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/results"
)

//go:embed assets/style.css
var styleCSS string

//go:embed assets/app.js
var appJS string

// page wraps body in a complete HTML document whose CSS and script are
// inline: it needs nothing but itself, so it works from file:// and
// offline. header is HTML placed above main (pipe serve's navigation).
func page(title, header, body string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", html.EscapeString(title), styleCSS)
	b.WriteString(header)
	b.WriteString("<main>\n")
	b.WriteString(body)
	b.WriteString("</main>\n<script>\n")
	b.WriteString(appJS)
	b.WriteString("</script>\n</body>\n</html>\n")
	return b.String()
}

// tableOptions adds pipe serve's columns to a table.
type tableOptions struct {
	// Keys, if set, name each row's trial: the row gets a checkbox to
	// pick it for comparison and links to the trial.
	Keys []string
	// Links is HTML shown beside the controls (the Markdown and CSV files).
	Links string
}

// numericCell reports whether a table cell is a number, a mean ± std or
// missing ("-"), so that its column is right-aligned.
func numericCell(c string) bool {
	c = strings.Split(c, " ± ")[0]
	if c == "-" || c == "NaN" || c == "+Inf" || c == "-Inf" {
		return true
	}
	_, err := strconv.ParseFloat(c, 64)
	return err == nil
}

// tableHTML renders t as a sortable, filterable table (see app.js): click a
// heading to sort, type in the box to keep the rows holding every word.
// Columns whose cells are all equal are hidden until "show constant
// columns" is ticked, when there are several rows.
func tableHTML(t results.Table, opt tableOptions) string {
	n := len(t.Columns)
	num := make([]bool, n)
	constant := make([]bool, n)
	hidden := 0
	for j := range t.Columns {
		num[j], constant[j] = len(t.Rows) > 0, len(t.Rows) > 1
		for _, row := range t.Rows {
			num[j] = num[j] && numericCell(row[j])
			constant[j] = constant[j] && row[j] == t.Rows[0][j]
		}
		if constant[j] {
			hidden++
		}
	}
	class := func(j int) string {
		var cs []string
		if num[j] {
			cs = append(cs, "num")
		}
		if constant[j] {
			cs = append(cs, "const")
		}
		if len(cs) == 0 {
			return ""
		}
		return " class=\"" + strings.Join(cs, " ") + "\""
	}
	var b strings.Builder
	b.WriteString("<div class=\"tablebox\">\n<div class=\"controls\"><input type=\"search\" class=\"filter\" placeholder=\"filter rows\" aria-label=\"filter rows\">")
	if hidden > 0 {
		fmt.Fprintf(&b, "<label><input type=\"checkbox\" class=\"show-const\"> show %d constant column%s</label>", hidden, plural(hidden))
	}
	b.WriteString("<span class=\"count muted\"></span>")
	if opt.Keys != nil {
		b.WriteString("<button type=\"button\" class=\"compare\" disabled>compare selected</button>")
	}
	b.WriteString(opt.Links)
	b.WriteString("</div>\n<table class=\"runs hide-const\">\n<thead><tr>")
	if opt.Keys != nil {
		b.WriteString("<th title=\"pick trials to compare\"></th>")
	}
	for j, c := range t.Columns {
		fmt.Fprintf(&b, "<th%s>%s</th>", class(j), html.EscapeString(c))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for i, row := range t.Rows {
		b.WriteString("<tr>")
		if opt.Keys != nil {
			k := html.EscapeString(opt.Keys[i])
			fmt.Fprintf(&b, "<td><input type=\"checkbox\" class=\"pick\" value=\"%s\" aria-label=\"pick %s\"></td>", k, k)
		}
		for j, c := range row {
			cell := html.EscapeString(c)
			if opt.Keys != nil && t.Columns[j] == "key" {
				cell = fmt.Sprintf("<a href=\"compare?keys=%s\">%s</a>", html.EscapeString(opt.Keys[i]), cell)
			}
			fmt.Fprintf(&b, "<td%s>%s</td>", class(j), cell)
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	if t.Note != "" {
		fmt.Fprintf(&b, "<p class=\"key\">%s</p>\n", html.EscapeString(t.Note))
	}
	b.WriteString("</div>\n")
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

var (
	mdCode = regexp.MustCompile("`([^`]+)`")
	mdBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

// markdown renders the Markdown a pipeline writes (file comments, report
// intros): paragraphs, "- " lists, fenced code blocks, `code`, **bold** and
// [links](url). Anything else shows as text; everything is escaped.
func markdown(src string) string {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	inList := false
	flush := func() {
		if len(para) > 0 {
			fmt.Fprintf(&b, "<p>%s</p>\n", inline(strings.Join(para, "\n")))
			para = nil
		}
		if inList {
			b.WriteString("</ul>\n")
			inList = false
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			b.WriteString("<pre><code>")
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				b.WriteString(html.EscapeString(lines[i]) + "\n")
			}
			b.WriteString("</code></pre>\n")
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			if len(para) > 0 {
				fmt.Fprintf(&b, "<p>%s</p>\n", inline(strings.Join(para, "\n")))
				para = nil
			}
			if !inList {
				b.WriteString("<ul>\n")
				inList = true
			}
			fmt.Fprintf(&b, "<li>%s</li>\n", inline(trimmed[2:]))
		case inList && (strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "\t")):
			// A list item's continuation line: append to the last item.
			s := b.String()
			b.Reset()
			b.WriteString(strings.TrimSuffix(s, "</li>\n") + " " + inline(trimmed) + "</li>\n")
		default:
			if inList {
				b.WriteString("</ul>\n")
				inList = false
			}
			para = append(para, trimmed)
		}
	}
	flush()
	return b.String()
}

// inline renders `code`, **bold** and links in escaped text. Only relative
// and http(s) links become anchors.
func inline(s string) string {
	s = html.EscapeString(s)
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	return mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		url := sub[2]
		if strings.Contains(url, ":") && !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return m
		}
		return fmt.Sprintf("<a href=\"%s\">%s</a>", url, sub[1])
	})
}
