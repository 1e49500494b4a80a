package web_test

// These tests drive a real headless Chromium (Debian's chromium, through
// chromedp) against pipe serve on a test store and against report.html
// opened from file://. Without a browser they skip, saying so.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/results/web"
	"github.com/pipe-ml/pipe/runtime"
)

// findBrowser returns the Chromium to drive: $PIPE_CHROMIUM, else the first
// of chromium, chromium-browser, google-chrome on PATH.
func findBrowser() string {
	if p := os.Getenv("PIPE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
)

// TestMain stops the shared browser after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if browserCtx != nil {
		_ = chromedp.Cancel(browserCtx)
	}
	os.Exit(code)
}

// tab returns a new browser tab for the test, starting the shared headless
// browser on first use, or skips the test when there is no browser.
func tab(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		t.Skip("browser test skipped: no Chromium found (install Debian's chromium, as .ci/run does, or set PIPE_CHROMIUM)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.WindowSize(1280, 1000),
			chromedp.Flag("allow-file-access-from-files", true))
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		browserCtx, _ = chromedp.NewContext(alloc)
		_, browserErr = chromedp.Run(browserCtx, chromedp.Evaluate[int](`1`)) // starts the browser
	})
	if browserErr != nil {
		t.Fatalf("starting %s: %v", path, browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel2)
	return ctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// column returns the visible text of column col (0-based, counting
// visible cells) of the first run table's visible rows.
const columnJS = `(function(sel, name) {
  var table = document.querySelector(sel);
  var heads = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return c.textContent; });
  var col = heads.indexOf(name);
  return Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.classList.contains("hidden"); })
    .map(function (r) { return r.cells[col].textContent; });
})(%q, %q)`

func column(t *testing.T, ctx context.Context, sel, name string) []string {
	t.Helper()
	return eval[[]string](t, ctx, fmt.Sprintf(columnJS, sel, name))
}

// report.html opened from disk: the table sorts by a click on a heading
// (both ways) and filters as one types, constant columns are hidden until
// asked for, and a chart shows the values under the pointer.
func TestBrowserReportHTML(t *testing.T) {
	ctx := tab(t)
	root, _ := web.WriteFixture(t)
	dir := filepath.Join(root, "study")
	m, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	path, err := web.WriteReport(dir, m, &results.Cache{Dir: root})
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("table.runs")))
	const table = "table.runs"
	if got := column(t, ctx, table, "reg"); strings.Join(got, " ") != "0 0.001 0.1" {
		t.Fatalf("reg column before sorting: %v", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(table+" th:nth-child(2)"))) // val_acc
	if h := eval[string](t, ctx, `document.querySelector("table.runs th:nth-child(2)").textContent`); h != "val_acc" {
		t.Fatalf("second column is %q, want val_acc", h)
	}
	if got := column(t, ctx, table, "val_acc"); strings.Join(got, " ") != "0.700 0.799 ± 0.000 0.800" {
		t.Errorf("val_acc after one click (ascending): %v", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(table+" th:nth-child(2)")))
	if got := column(t, ctx, table, "reg"); strings.Join(got, " ") != "0 0.001 0.1" {
		t.Errorf("reg after the second click (val_acc descending): %v", got)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("input.filter"), "0.001"))
	if got := column(t, ctx, table, "reg"); strings.Join(got, " ") != "0.001" {
		t.Errorf("rows left after filtering for 0.001: %v", got)
	}
	if n := eval[string](t, ctx, `document.querySelector(".count").textContent`); n != "1 of 3 rows" {
		t.Errorf("row count says %q", n)
	}
	// Every row's status is ok: the column is hidden until asked for.
	if h := eval[string](t, ctx, `document.querySelector("table.runs th.const").textContent`); h != "status" {
		t.Errorf("the constant column is %q, want status", h)
	}
	hidden := `getComputedStyle(document.querySelector("table.runs th.const")).display`
	if d := eval[string](t, ctx, hidden); d != "none" {
		t.Errorf("a constant column is shown (display %q)", d)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("input.show-const")))
	if d := eval[string](t, ctx, hidden); d == "none" {
		t.Error("ticking 'show constant columns' does not show them")
	}
	// The value under the pointer.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(function () {
	  var svg = document.querySelector("#fig2 svg"), r = svg.getBoundingClientRect();
	  svg.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));
	})()`))
	tip := eval[string](t, ctx, `(function(){ var t = document.querySelector("#fig2 .tip"); return t.hidden ? "" : t.textContent; })()`)
	if !strings.Contains(tip, "epoch 2") || !strings.Contains(tip, "reg=0.1 seed=0 val: 0.68") {
		t.Errorf("tooltip in the middle of the accuracy chart: %q, want epoch 2 and reg=0.1's validation accuracy 0.68", tip)
	}
}

// pipe serve's dashboard: the trials table sorts and filters; picking two
// trials and pressing compare opens the comparison, which marks exactly the
// differing settings; a path outside the folder is 404 in the browser too.
func TestBrowserServeDashboardAndCompare(t *testing.T) {
	ctx := tab(t)
	root, recs := web.WriteFixture(t)
	srv, err := web.NewServer(root)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })

	do(t, ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#trials table.runs")))
	const table = "#trials table.runs"
	byKey := map[string]results.Record{}
	for _, r := range recs {
		byKey[r.Key[:8]] = r
	}
	clickHead := func(name string) {
		t.Helper()
		do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`Array.prototype.find.call(document.querySelectorAll(%q), function (th) { return th.textContent === %q; }).click()`, table+" th", name)))
	}
	clickHead("val_acc")
	vals := column(t, ctx, table, "val_acc")
	if strings.Join(vals, " ") != "0.700 0.799 0.799 0.800" {
		t.Errorf("val_acc ascending: %v", vals)
	}
	clickHead("val_acc")
	if vals := column(t, ctx, table, "val_acc"); vals[0] != "0.800" {
		t.Errorf("val_acc descending: %v", vals)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#trials input.filter"), "0.001"))
	keys := column(t, ctx, table, "key")
	if len(keys) != 2 {
		t.Fatalf("filter 0.001 keeps %v, want the two seeds of reg=0.001", keys)
	}
	for _, k := range keys {
		if byKey[k].Trial.Model.Reg != 1e-3 {
			t.Errorf("filter 0.001 kept %s (reg %v)", k, byKey[k].Trial.Model.Reg)
		}
	}
	// Pick both and compare.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`Array.prototype.forEach.call(document.querySelectorAll("#trials tbody tr:not(.hidden) input.pick"), function (c) { c.click(); })`))
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("#trials button.compare"))); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/compare?keys=") {
		t.Fatalf("compare opened %s", loc)
	}
	marked := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("table.diff tr.differs td:first-child"), function (td) { return td.textContent; })`)
	if strings.Join(marked, " ") != "train.seed" {
		t.Errorf("settings marked as differing: %v, want [train.seed]", marked)
	}
	bg := eval[string](t, ctx, `getComputedStyle(document.querySelector("table.diff tr.differs td")).backgroundColor`)
	plain := eval[string](t, ctx, `getComputedStyle(document.querySelector("table.diff tr:not(.differs) td")).backgroundColor`)
	if bg == plain {
		t.Errorf("differing settings are not highlighted (background %s like the others)", bg)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#cmp-loss path").length`); n != 4 {
		t.Errorf("the overlaid loss chart has %d lines, want 4 (2 raw, 2 smoothed)", n)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("input.only-diff")))
	if n := eval[int](t, ctx, `Array.prototype.filter.call(document.querySelectorAll("table.diff tbody tr"), function (r) { return getComputedStyle(r).display !== "none"; }).length`); n != 8+1 {
		t.Errorf("'only differing settings' leaves %d rows, want the 8 result rows and 1 setting", n)
	}

	for _, target := range []string{"/files/..%2f..%2f..%2fetc%2fpasswd", "/files/%2Fetc%2Fpasswd", "/p/study/..%2F..%2F..%2Fetc%2Fpasswd"} {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+target))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != http.StatusNotFound {
			t.Errorf("browser GET %s: %d, want 404", target, resp.Status)
		}
	}
}

// A sweep being trained shows on the dashboard and its progress moves
// without the page reloading; when it ends its trials join the table.
func TestBrowserLiveProgress(t *testing.T) {
	ctx := tab(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "results")
	if err := os.WriteFile(filepath.Join(dir, "sweep.star"), []byte("trials([1, 2])\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	train := func(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
		const iters = 1000
		for i := 1; i <= iters; i++ {
			if i == iters/2 {
				select { // half way: wait for the test to have looked twice
				case <-release:
				case <-ctx.Done():
					return nn.Result{}, nil, nil, ctx.Err()
				}
			}
			if i < iters/2 {
				time.Sleep(6 * time.Millisecond)
			}
			run.Progress(nn.Progress{Epoch: 1, Epochs: 1, Iter: i, Iters: iters, Loss: 1 / float64(i)})
		}
		return nn.Result{Status: "ok", Loss: []float64{1, 0.5}, TrainAccs: []float64{0.5}, ValAccs: []float64{0.5}, BestEpoch: 1, ValAcc: 0.5, TrainAcc: 0.5}, nil, nil, nil
	}
	runErr := make(chan error, 1)
	go func() {
		runErr <- runtime.Run(context.Background(), runtime.Options{
			File: filepath.Join(dir, "sweep.star"), OutDir: filepath.Join(root, "sweep"), Jobs: 2,
			Predeclared: starlark.StringDict{"trials": trialsBuiltin}, Train: train,
		})
	}()
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := web.NewServer(root)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })

	do(t, ctx, chromedp.Navigate(ts.URL+"/"))
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.pipeLoadedOnce = "yes"`))
	iterOf := `(function () {
	  var cards = document.querySelectorAll("#live .card");
	  if (cards.length !== 2) return -1;
	  var m = cards[0].querySelector(".progress-text").textContent.match(/iter (\d+)\/1000/);
	  return m ? +m[1] : -1;
	})()`
	first, err := chromedp.Run(ctx, chromedp.Poll[int](iterOf+` > 0 && `+iterOf, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("the two running trials never showed on the dashboard: %v", err)
	}
	second, err := chromedp.Run(ctx, chromedp.Poll[int](fmt.Sprintf(`%s > %d && %s`, iterOf, first, iterOf), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Fatalf("progress stayed at iteration %d: %v", first, err)
	}
	if marker := eval[string](t, ctx, `window.pipeLoadedOnce || "reloaded"`); marker != "yes" {
		t.Error("the page reloaded to show progress")
	}
	t.Logf("progress moved from iteration %d to %d without a reload", first, second)
	text := eval[string](t, ctx, `document.querySelector("#live .card .progress-text").textContent`)
	if !strings.Contains(text, "elapsed ") || !strings.Contains(text, "ETA ") || strings.Contains(text, "NaN") || strings.Contains(text, "undefined") {
		t.Errorf("progress line %q", text)
	}
	once.Do(func() { close(release) })
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#live .card").length === 0 && document.querySelectorAll("#trials tbody tr").length === 2`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("after the run: the cards did not go or its two trials did not join the table: %v", err)
	}
	if marker := eval[string](t, ctx, `window.pipeLoadedOnce || "reloaded"`); marker != "yes" {
		t.Error("the page reloaded to show the new trials")
	}
}

// trialsBuiltin is trials(seeds): one job per seed through the run's
// Runner, as a sweep would.
var trialsBuiltin = starlark.NewBuiltin("trials", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seeds *starlark.List
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "seeds", &seeds); err != nil {
		return nil, err
	}
	var jobs []builtins.Job
	for i := range seeds.Len() {
		s, _ := starlark.AsInt32(seeds.Index(i))
		jobs = append(jobs, builtins.Job{
			Trial: results.Trial{
				Model:    nn.ModelSpec{Layers: []nn.LayerSpec{{Kind: nn.Affine}}, Init: nn.InitNormal, WeightScale: 1e-3},
				Data:     results.DataSpec{Name: "fake", Source: "test"},
				Train:    nn.TrainConfig{Optimizer: nn.OptimizerSpec{Name: "sgd", LR: 1e-2}, Epochs: 1, BatchSize: 1, Seed: uint64(s)},
				Settings: []results.Setting{{Name: "seed", Value: int64(s)}},
			},
			Label: fmt.Sprintf("seed=%d", s),
		})
	}
	env := builtins.EnvOf(th)
	if _, err := env.Runner.Run(env.Ctx, "sweep", jobs); err != nil {
		return nil, err
	}
	return starlark.None, nil
})
