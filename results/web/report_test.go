package web

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// report.html is one self-contained file: no script, style, image or
// font from anywhere else, no network address but the SVG namespace; the
// same records give the same bytes; it holds the report's sections.
func TestReportHTMLSelfContainedAndStable(t *testing.T) {
	root, recs := writeFixture(t)
	dir := filepath.Join(root, "study")
	m, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := &results.Cache{Dir: root}
	path, err := WriteReport(dir, m, store)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteReport(dir, m, store); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Error("report.html differs between two writes from the same records")
	}
	page := string(first)
	for _, re := range []string{`(?i)<(script|img|link|iframe|source)[^>]*\s(src|href)=`, `(?i)url\(\s*['"]?(https?:|//)`, `@import`} {
		if loc := regexp.MustCompile(re).FindStringIndex(page); loc != nil {
			t.Errorf("report.html loads something from outside: %q", page[loc[0]:min(len(page), loc[1]+60)])
		}
	}
	if n := strings.Count(page, "http"); n != strings.Count(page, `"http://www.w3.org/2000/svg"`) {
		t.Errorf("report.html names %d network addresses besides the SVG namespace", n-strings.Count(page, `"http://www.w3.org/2000/svg"`))
	}
	for _, want := range []string{
		"<title>Study &lt;report&gt;</title>", "<h1>Study &lt;report&gt;</h1>", "<p>Made by a test.</p>",
		`<h2 id="study-star">study.star</h2>`, "A <strong>small</strong> study of <code>reg</code>:", "<li>three values</li>",
		"<pre><code>check_initial_loss: ok\n</code></pre>", "<h3>Reg sweep</h3>",
		`<a href="tables/reg-sweep.md">Markdown</a>`, `<a href="tables/reg-sweep.csv">CSV</a>`,
		`<figure class="chart" id="fig1">`, `<figure class="chart" id="fig2">`, `<a href="figures/reg-loss.svg">SVG</a>`,
		"Lines: moving average over 2% of the run on each side; faint: the raw loss of every iteration.",
		"Solid: validation accuracy; dashed: training accuracy.",
		`<script type="application/json" class="chart-data">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// The table: rows grouped by configuration as in report.md (the two
	// seeds of reg=0.001 are one row of mean ± std).
	if n := strings.Count(page, "<tr><td"); n != 3 {
		t.Errorf("report.html's table has %d rows, want 3", n)
	}
	if !strings.Contains(page, "± ") {
		t.Error("no mean ± std cell for the repeated configuration")
	}
	_ = recs
}
