package runtime

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/results/web"
)

// studyTrainer is a fake nn.Train for whole-study tests: its result is a
// function of the trial's spec and seed alone (curves of many iterations
// and several epochs, so figures have real lines), and it returns a built
// model so that records keep first-layer filters. It counts its calls.
type studyTrainer struct{ calls atomic.Int64 }

func (s *studyTrainer) train(_ context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
	s.calls.Add(1)
	tr := d.Train
	model, err := nn.Build[float32](spec, [3]int{tr.C, tr.H, tr.W}, len(tr.Classes), cfg.Seed)
	if err != nil {
		return nn.Result{}, nil, nil, err
	}
	// A number that differs between trials: the spec's settings.
	h := 0.37*float64(cfg.Seed) + 10*spec.Reg + 0.001*float64(len(spec.Layers))
	for _, l := range spec.Layers {
		h += 0.0007*float64(l.Filters) + 0.0003*float64(l.FilterH) + 0.00001*float64(l.Out) + 0.05*l.P
	}
	frac := h - math.Floor(h)
	epochs := max(cfg.Epochs, 1)
	res := nn.Result{Status: "ok", BestEpoch: epochs}
	for i := range 60 * epochs {
		res.Loss = append(res.Loss, 0.7*math.Exp(-float64(i)/(40+20*frac))+0.05*math.Sin(float64(i)*(1+frac)))
	}
	for e := range epochs {
		res.TrainAccs = append(res.TrainAccs, 0.6+0.3*frac+0.02*float64(e))
		res.ValAccs = append(res.ValAccs, 0.55+0.25*frac+0.01*float64(e))
	}
	res.TrainAcc, res.ValAcc, res.TestAcc = res.TrainAccs[epochs-1], res.ValAccs[epochs-1], res.ValAccs[epochs-1]-0.01
	run.Progress(nn.Progress{Epoch: epochs, Epochs: epochs, Iter: len(res.Loss), Iters: len(res.Loss), Loss: res.Loss[len(res.Loss)-1]})
	return res, model, nil, nil
}

// groupObserver keeps the GroupStarted events (the "N cached, M to train"
// line the CLI prints).
type groupObserver struct {
	NopObserver
	groups []GroupInfo
}

func (o *groupObserver) GroupStarted(g GroupInfo) { o.groups = append(o.groups, g) }

// studyFiles is a small study laid out like pipelines/: shared settings in
// lib/, a sanity check, two sweeps sharing their base trial, a best net with
// its filters, and a report that loads them all.
var studyFiles = map[string]string{
	"p/lib/base.star": `# Shared settings.
data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
base_model = three_layer_convnet(num_filters = 4, filter_size = 3, hidden_dim = 8, weight_scale = 1e-2, reg = 1e-3)
base_train = train_config(optimizer = adam(lr = 1e-3), epochs = 2, batch_size = 25, train_images = 100)
`,
	"p/sanity.star": `# Sanity checks:
# the initial loss is about ln 2.
net = three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4)
check_initial_loss(net, reg = 0.0, classes = 2, images = 10, shape = (1, 8, 8), tol = 0.05)
gradient_check(net, shape = (1, 6, 6), classes = 3, inputs = 2)
`,
	"p/reg.star": `# Regularisation sweep.
load("lib/base.star", "data", "base_model", "base_train")
runs = sweep(base_model, data, base_train, grid = {"reg": [0.0, 1e-3]})
table(runs, title = "Reg", columns = ["reg", "train_acc", "val_acc", "seconds"])
plot(runs, metric = "loss", title = "Reg: loss")
plot(runs, metric = "accuracy", title = "Reg: accuracy")
`,
	"p/filters.star": `# Filter count sweep; its 4-filter trial is reg.star's 1e-3 one.
load("lib/base.star", "data", "base_model", "base_train")
runs = sweep(base_model, data, base_train, grid = {"num_filters": [4, 6]}, seeds = [0, 1])
table(runs, title = "Filters", columns = ["num_filters", "val_acc", "seeds"], sort = "-val_acc")
plot(runs, metric = "val_acc", title = "Filters: accuracy")
best = max(runs, key = lambda r: r.val_acc)
plot([best], metric = "filters", title = "Best: filters")
`,
	"p/report.star": `# Regenerates the study.
load("sanity.star", "net")
load("reg.star", reg_runs = "runs")
load("filters.star", "best")
table([best], title = "Reg", columns = ["train_acc", "val_acc"])
report(title = "Small study", intro = "Rebuilt from records.")
`,
}

// snapshot reads every file under dir except the manifest, by path
// relative to dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: %s missing", what, name)
		case g != want[name]:
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, name, len(g), len(want[name]))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: extra file %s", what, name)
		}
	}
}

// TestReportStudyIsByteStable runs a small study's report.star twice on one
// output root, with a fake trainer: the first run trains, the second finds
// every trial cached and must write byte-identical files — tables, report,
// SVG and PNG. Then the outputs are deleted and rebuilt from the manifest and
// the trial store alone (what pipe report does), byte for byte again.
func TestReportStudyIsByteStable(t *testing.T) {
	chdir(t, writeFiles(t, studyFiles))
	root := "out"
	out := OutDir(root, "p/report.star")
	tr := &studyTrainer{}
	run := func() []GroupInfo {
		t.Helper()
		obs := &groupObserver{}
		err := Run(context.Background(), Options{File: "p/report.star", OutDir: out, Train: tr.train, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
		return obs.groups
	}
	run()
	// reg: 2 trials; filters: 4, of which (4 filters, seed 0) is reg's 1e-3.
	if n := tr.calls.Load(); n != 5 {
		t.Errorf("first run trained %d trials, want 5 (a trial shared by two sweeps trains once)", n)
	}
	first := snapshot(t, out)
	for _, f := range []string{"report.md", "report.html", "manifest.json", "tables/reg.md", "tables/reg.csv", "tables/reg-2.md", "tables/filters.csv",
		"figures/reg-loss.svg", "figures/reg-loss.png", "figures/reg-accuracy.png", "figures/filters-accuracy.png", "figures/best-filters.png"} {
		if _, ok := first[f]; !ok {
			t.Errorf("first run wrote no %s", f)
		}
	}
	trials, err := filepath.Glob(filepath.Join(root, results.TrialsDir, "*.json"))
	if err != nil || len(trials) != 5 {
		t.Errorf("trial store holds %d records (%v), want 5", len(trials), err)
	}

	groups := run()
	if n := tr.calls.Load(); n != 5 {
		t.Errorf("second run trained %d more trials, want none", n-5)
	}
	if len(groups) != 2 {
		t.Errorf("second run: %d groups of trials, want 2", len(groups))
	}
	for _, g := range groups {
		if g.ToTrain != 0 || g.Cached != g.Trials {
			t.Errorf("second run: group %s has %d cached, %d to train of %d trials; want all cached", g.Name, g.Cached, g.ToTrain, g.Trials)
		}
	}
	sameFiles(t, "second run", snapshot(t, out), first)

	// The report: one section per file that rendered something, in the
	// order the files began, each with its own checks, tables and figures.
	report := first["report.md"]
	t.Logf("report.md:\n%s", report)
	var order []int
	for _, h := range []string{"# Small study\n\nRebuilt from records.", "## report.star", "## sanity.star", "## reg.star", "## filters.star"} {
		i := strings.Index(report, h)
		if i < 0 {
			t.Fatalf("report lacks %q", h)
		}
		order = append(order, i)
	}
	if !sort.IntsAreSorted(order) {
		t.Errorf("report sections out of order: %v", order)
	}
	if strings.Contains(report, "lib/base.star") {
		t.Error("report has a section for lib/base.star, which rendered nothing")
	}
	section := func(name string) string {
		s := report[strings.Index(report, "## "+name):]
		if i := strings.Index(s[3:], "\n## "); i >= 0 {
			s = s[:i+3]
		}
		return s
	}
	for name, wants := range map[string][]string{
		"sanity.star":  {"the initial loss is about ln 2", "check_initial_loss: 10 images 1x8x8, 2 classes, reg=0: loss", "gradient_check: W1", "gradient_check: b3"},
		"reg.star":     {"Regularisation sweep.", "**Reg**", "(tables/reg.md)", "![Reg: loss](figures/reg-loss.png)", "(figures/reg-accuracy.svg)"},
		"filters.star": {"**Filters**", "± ", "(figures/filters-accuracy.png)", "(figures/best-filters.png)"},
		"report.star":  {"(tables/reg-2.md)"},
	} {
		sec := section(name)
		for _, w := range wants {
			if !strings.Contains(sec, w) {
				t.Errorf("section %s lacks %q:\n%s", name, w, sec)
			}
		}
	}
	if strings.Contains(section("reg.star"), "gradient_check") {
		t.Error("check lines of sanity.star ended up in reg.star's section")
	}

	// pipe report: from the manifest and the store, nothing evaluated.
	for f := range first {
		if f != results.ManifestFile {
			if err := os.Remove(filepath.Join(out, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := results.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := web.Render(out, m, &results.Cache{Dir: root}); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "rebuilt from the manifest", snapshot(t, out), first)

	// A record missing from the store is named with its table.
	if err := os.Rename(trials[0], trials[0]+".bak"); err != nil {
		t.Fatal(err)
	}
	err = m.Render(out, &results.Cache{Dir: root})
	var missing *results.MissingRecordError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), strings.TrimSuffix(filepath.Base(trials[0]), ".json")) ||
		!(strings.Contains(err.Error(), "table ") || strings.Contains(err.Error(), "figure ")) {
		t.Errorf("render without a record: %v, want a MissingRecordError naming the key and its table", err)
	}
}

// TestManifestNotWrittenOnFailure: a run that fails leaves no manifest, so
// pipe report never rebuilds half a study as if it were whole.
func TestManifestNotWrittenOnFailure(t *testing.T) {
	files := map[string]string{}
	for k, v := range studyFiles {
		files[k] = v
	}
	files["p/report.star"] += "fail('stop')\n"
	chdir(t, writeFiles(t, files))
	out := OutDir("out", "p/report.star")
	err := Run(context.Background(), Options{File: "p/report.star", OutDir: out, Train: (&studyTrainer{}).train})
	wantErr(t, err, "stop")
	if _, err := os.Stat(filepath.Join(out, results.ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed run left a manifest: %v", err)
	}
}

// TestPipelineNamedTrials: out/trials is the store, not a pipeline's folder.
func TestPipelineNamedTrials(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"trials.star": "x = 1\n"}))
	err := Run(context.Background(), Options{File: "trials.star"})
	wantErr(t, err, "trials.star", "shared trial store")
}
