package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// TestReport: report() writes report.md from the manifest so far — checks,
// tables and figures under the file that made them — and its argument
// errors name the parameter.
func TestReport(t *testing.T) {
	f := newFixture(t)
	leave := f.env.EnterFile("study.star", "What the study shows.")
	f.run(`
check_initial_loss(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), data = tiny, images = 4, tol = 1)
runs = sweep(three_layer_convnet(), tiny, train_config(), grid = {"reg": [0, 1]})
table(runs, title = "Reg", columns = ["reg", "val_acc"])
plot(runs, metric = "loss", title = "Reg loss")
path = report(title = "Tiny", intro = "Intro *text*.")
assert.eq(path.endswith("report.md"), True)
assert.fails(lambda: report(title = ""), "report: for parameter title: got \"\", want one non-empty line")
assert.fails(lambda: report(title = "a\nb"), "for parameter title: control character")
assert.fails(lambda: report(intro = 1), "report: for parameter intro: got int, want string")
`)
	leave()
	b, err := os.ReadFile(filepath.Join(f.env.OutDir, results.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, want := range []string{
		"# Tiny\n\nIntro *text*.\n\n## study.star\n\nWhat the study shows.\n\n```text\ncheck_initial_loss: 4 images 1x8x8, 2 classes",
		"**Reg**", "[Markdown](tables/reg.md)", "![Reg loss](figures/reg-loss.png)",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	m := f.env.Manifest
	if len(m.Items) != 3 || m.Items[0].Check == nil || m.Items[1].Table == nil || m.Items[2].Plot == nil || m.Report == nil || m.Report.Items != 3 {
		t.Errorf("manifest items %+v, report %+v", m.Items, m.Report)
	}
	for _, it := range m.Items {
		if it.File != "study.star" {
			t.Errorf("item %+v attributed to %q, want study.star", it, it.File)
		}
	}
}

func TestReportCheckOnlyAndNoManifest(t *testing.T) {
	f := newFixture(t)
	f.env.CheckOnly = true
	f.run(`report(title = "T")`)
	if !strings.Contains(f.out.String(), `report "T": not written in check mode`) {
		t.Errorf("output: %s", f.out)
	}
	if _, err := os.Stat(filepath.Join(f.env.OutDir, results.ReportFile)); !os.IsNotExist(err) {
		t.Errorf("check mode wrote a report: %v", err)
	}
	f = newFixture(t)
	f.env.Manifest = nil
	f.fails(`report()`, "report: no output folder and manifest")
}
