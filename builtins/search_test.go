package builtins

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
)

func TestDistributions(t *testing.T) {
	f := newFixture(t)
	f.run(`
assert.eq(str(uniform(0, 0.8)), "uniform(0.0, 0.8)")
assert.eq(str(log_uniform(1e-4, 1e-1)), "log_uniform(0.0001, 0.1)")
assert.eq(str(int_uniform(50, 500)), "int_uniform(50, 500)")
assert.eq(str(choice(["adam", "sgd"])), 'choice(["adam", "sgd"])')
assert.eq(type(uniform(0, 1)), "distribution")
`)
	for _, c := range []struct{ src, want string }{
		{"uniform(1, 1)", "uniform: for parameter hi: got 1, want > lo (1)"},
		{"uniform(0.5, 0.1)", "uniform: for parameter hi: got 0.1, want > lo (0.5)"},
		{"log_uniform(0, 1)", "log_uniform: for parameter lo: got 0, want > 0"},
		{"log_uniform(-1e-3, 1)", "log_uniform: for parameter lo: got -0.001, want > 0"},
		{"int_uniform(5, 5)", "int_uniform: for parameter hi: got 5, want > lo (5)"},
		{"int_uniform(1.5, 5)", "int_uniform: for parameter lo: got float, want int"},
		{"choice([])", "choice: for parameter values: got an empty list, want at least one value"},
		{"choice('ab')", "choice: for parameter values: got string, want a list"},
		{"uniform('a', 1)", "uniform: for parameter lo: got string, want float"},
		{"sweep(three_layer_convnet(), tiny, train_config(), grid = {'lr': log_uniform(1e-4, 1e-2)})",
			"sweep: for parameter grid: lr is log_uniform(0.0001, 0.01); a grid takes a list of values, search() takes distributions"},
	} {
		f.fails(c.src, c.want)
	}
}

// TestDistValue checks the mapping from the samplers' internal coordinate
// to setting values: 3 significant digits, kept inside [lo, hi], log space
// for log_uniform, rounding for int_uniform, index for choice.
func TestDistValue(t *testing.T) {
	u := &Dist{kind: "uniform", lo: 0.000123456, hi: 0.8}
	lg := &Dist{kind: "log_uniform", lo: 1e-4, hi: 1e-1}
	iu := &Dist{kind: "int_uniform", lo: 50, hi: 500}
	ch := &Dist{kind: "choice", choices: []starlark.Value{starlark.String("a"), starlark.String("b")}}
	for _, c := range []struct {
		d    *Dist
		x    float64
		want string
	}{
		{u, 0.123456, "0.123"},
		{u, 0.000123456, "0.000123456"}, // rounded below lo: kept at lo
		{u, 0.79999, "0.8"},
		{lg, -6.0, "0.00248"},
		{iu, 49.6, "50"},
		{iu, 500.49, "500"},
		{iu, 123.5, "124"},
		{ch, 0.2, `"a"`},
		{ch, 1.99, `"b"`},
		{ch, 2.0, `"b"`},
	} {
		if got := c.d.value(c.x).String(); got != c.want {
			t.Errorf("%s.value(%g) = %s, want %s", c.d, c.x, got, c.want)
		}
	}
	if lo, hi := lg.bounds(); lg.internal(lg.value(lo)) != lo || lg.internal(lg.value(hi)) < hi-1e-12 {
		t.Errorf("log_uniform bounds do not round-trip: %g %g", lo, hi)
	}
}

// searchKeys runs a search with trials proposals and returns the keys and
// labels of the trials it asked for, and the runner's calls.
func searchKeys(t *testing.T, sampler string, trials int, result func(i int, j Job) nn.Result) (keys, labels []string, f *fixture) {
	t.Helper()
	f = newFixture(t)
	f.runner.result = result
	f.run(fmt.Sprintf(`
m = three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4)
runs = search(m, tiny, train_config(batch_size = 4), trials = %d, sampler = %q, seed = 7, batch = 4,
              space = {"lr": log_uniform(1e-4, 1e-1), "dropout": uniform(0, 0.8), "hidden_dim": int_uniform(2, 9),
                       "optimizer": choice([adam(), sgd()])})
assert.eq(len(runs), %d)
`, trials, sampler, trials))
	for _, j := range f.runner.jobs() {
		keys = append(keys, j.Trial.Key())
		labels = append(labels, j.Label)
	}
	return keys, labels, f
}

// byDropout scores a trial by its settings, so that TPE has something to
// learn: the lower the dropout, the better.
func byDropout(_ int, j Job) nn.Result {
	v := 0.9
	for _, s := range j.Trial.Settings {
		if s.Name == "dropout" {
			v -= s.Value.(float64) / 2
		}
	}
	return nn.Result{Status: "ok", ValAcc: v, TrainAcc: v, ValAccs: []float64{v}, TrainAccs: []float64{v}, Loss: []float64{1}, BestEpoch: 1}
}

func TestSearchRounds(t *testing.T) {
	for _, sampler := range []string{"random", "tpe"} {
		keys, labels, f := searchKeys(t, sampler, 20, byDropout)
		if len(f.runner.calls) != 5 {
			t.Fatalf("%s: %d runner calls, want 5 rounds of 4", sampler, len(f.runner.calls))
		}
		if g := f.runner.calls[1].group; g != "search lr,dropout,hidden_dim,optimizer ("+sampler+") round 2/5" {
			t.Errorf("group %q", g)
		}
		// Settings are in the space's order and rounded to 3 digits.
		if !regexp.MustCompile(`^lr=0\.\d{1,3}e?-?\d* dropout=0?\.?\d{0,3} hidden_dim=\d optimizer=(adam|sgd)\(`).MatchString(labels[0]) {
			t.Errorf("label %q", labels[0])
		}
		// Same search again: same trials. More trials: the same first ones.
		again, _, _ := searchKeys(t, sampler, 20, byDropout)
		more, _, _ := searchKeys(t, sampler, 30, byDropout)
		if !slices.Equal(keys, again) {
			t.Errorf("%s: a repeated search proposed other trials", sampler)
		}
		if !slices.Equal(keys, more[:20]) {
			t.Errorf("%s: raising trials from 20 to 30 changed the first 20 proposals", sampler)
		}
	}
	rnd, _, _ := searchKeys(t, "random", 20, byDropout)
	tpe, _, _ := searchKeys(t, "tpe", 20, byDropout)
	if !slices.Equal(rnd[:12], tpe[:12]) || slices.Equal(rnd[12:], tpe[12:]) {
		t.Error("TPE should share random search's first 12 trials (3 rounds before 10 results) and differ after")
	}
}

// TestSearchStopsAtUnfinishedRound: when a round has trials this run does
// not train (another shard's), later rounds are not proposed.
func TestSearchStopsAtUnfinishedRound(t *testing.T) {
	calls := 0
	f := newFixture(t)
	f.runner.result = func(i int, j Job) nn.Result {
		r := byDropout(i, j)
		if len(f.runner.calls) == 2 && i == 1 {
			r.Status = "not run"
		}
		calls++
		return r
	}
	f.run(`
runs = search(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4),
              space = {"lr": log_uniform(1e-4, 1e-1)}, trials = 12, batch = 4, sampler = "tpe")
assert.eq(len(runs), 8)
`)
	if len(f.runner.calls) != 2 || !slices.Equal(f.env.Unfinished(), []string{"search lr (tpe) stopped at round 2 of 3"}) {
		t.Errorf("calls %d, unfinished %q", len(f.runner.calls), f.env.Unfinished())
	}
}

func TestSearchSeeds(t *testing.T) {
	f := newFixture(t)
	f.run(`
runs = search(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4),
              space = {"reg": log_uniform(1e-5, 1e-1)}, trials = 3, seeds = [0, 1])
assert.eq(len(runs), 6)
assert.eq(runs[0].settings["reg"], runs[1].settings["reg"])
assert.eq([r.settings["seed"] for r in runs], [0, 1, 0, 1, 0, 1])
assert.eq([r.config.seed for r in runs], [0, 1, 0, 1, 0, 1])
`)
}

func TestSearchErrors(t *testing.T) {
	f := newFixture(t)
	pre := `m = three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4)
c = train_config(batch_size = 4)
`
	for _, c := range []struct{ src, want string }{
		{`search(m, tiny, c, space = {})`, "search: for parameter space: got an empty dict, want settings mapped to distributions"},
		{`search(m, tiny, c, space = {"lr": [1e-3, 1e-2]})`, "search: for parameter space: lr is list, want a distribution (uniform, log_uniform, int_uniform or choice) (for a list of values write choice([0.001, 0.01]))"},
		{`search(m, tiny, c, space = {"lrr": uniform(0, 1)})`, `search: unknown setting "lrr"`},
		{`search(m, tiny, c, space = {"lr": uniform(0, 1)}, sampler = "grid")`, `search: for parameter sampler: got "grid", want "random" or "tpe"`},
		{`search(m, tiny, c, space = {"lr": uniform(0, 1)}, metric = "test_acc")`, `search: for parameter metric: got "test_acc", want one of ["val_acc" "train_acc"] (the test accuracy must not choose)`},
		{`search(m, tiny, c, space = {"lr": uniform(0, 1)}, trials = 0)`, "search: for parameter trials: got 0, want >= 1"},
		{`search(m, tiny, c, space = {"lr": uniform(0, 1)}, batch = 0)`, "search: for parameter batch: got 0, want >= 1"},
		{`search(m, tiny, c, space = {"seed": int_uniform(0, 3)}, seeds = [1])`, "search: seed is both in space and in seeds"},
		{`search(m, tiny, c, space = {"hidden_dim": int_uniform(-5, -1)})`, "search: trial hidden_dim=-"},
		{`search(m, tiny, c, space = {"lr": uniform(0, 1)}, label = "a\rb")`, "search: for parameter label: control character"},
	} {
		f.fails(pre+c.src, c.want)
	}
}

// TestTableCompareArg: table(compare = True) reaches the results table
// and its manifest entry.
func TestTableCompareArg(t *testing.T) {
	f := newFixture(t)
	f.runner.result = func(i int, j Job) nn.Result {
		v := 0.8 + 0.01*float64(j.Trial.Train.Seed) + 0.001*float64(i%2)
		if d, _ := j.Trial.Setting("dropout"); d == 0.5 {
			v -= 0.05
		}
		return nn.Result{Status: "ok", ValAcc: v, TrainAcc: v, ValAccs: []float64{v}, TrainAccs: []float64{v}, Loss: []float64{1}, BestEpoch: 1}
	}
	g := f.run(`
runs = sweep(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4),
             grid = {"dropout": [0.0, 0.5]}, seeds = [0, 1, 2])
rows = table(runs, columns = ["dropout", "val_acc"], compare = True)
`)
	if got := g["rows"].String(); !strings.Contains(got, `"best"`) || !strings.Contains(got, `"p=`) {
		t.Errorf("rows %s", got)
	}
	if it := f.env.Manifest.Items; len(it) != 1 || !it[0].Table.Compare {
		t.Errorf("manifest items %+v", it)
	}
}

func TestHalvingRungs(t *testing.T) {
	for _, c := range []struct {
		n, lo, hi, eta int
		want           string
	}{
		{27, 1, 9, 3, "27×1, 9×3, 3×9"},
		{9, 1, 9, 3, "9×1, 3×3, 1×9"},
		{10, 1, 8, 2, "10×1, 5×2, 2×4, 1×8"},
		{5, 2, 5, 3, "5×2, 1×5"},
		{4, 3, 3, 3, "4×3"},
	} {
		if got := describeRungs(halvingRungs(c.n, c.lo, c.hi, c.eta)); got != c.want {
			t.Errorf("halvingRungs(%d, %d, %d, %d) = %s, want %s", c.n, c.lo, c.hi, c.eta, got, c.want)
		}
	}
}

// TestHalving: the best third by val_acc (here: the lowest dropout) go on
// to three times the epochs; the candidates are random search's; the
// epoch counts are printed.
func TestHalving(t *testing.T) {
	f := newFixture(t)
	f.runner.result = byDropout
	f.run(`
m = three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4)
space = {"dropout": uniform(0, 0.8), "lr": log_uniform(1e-4, 1e-2)}
runs = halving(m, tiny, train_config(batch_size = 4), space = space, trials = 9, seed = 3)
rs = search(m, tiny, train_config(batch_size = 4), space = space, trials = 9, seed = 3, batch = 9)
assert.eq(len(runs), 13)
assert.eq([r.settings["epochs"] for r in runs], [1] * 9 + [3] * 3 + [9])
first = sorted(runs[:9], key = lambda r: r.settings["dropout"])
assert.eq(sorted([r.settings["dropout"] for r in runs[9:12]]), [r.settings["dropout"] for r in first[:3]])
assert.eq(runs[12].settings["dropout"], first[0].settings["dropout"])
assert.eq([r.key for r in runs[:9]], [r.key for r in rs])
`)
	if !strings.Contains(f.out.String(), "halving: 9 candidates, rungs 9×1, 3×3, 1×9: 21 epochs to train with continuation, 81 to train every candidate to 9 epochs") {
		t.Errorf("output:\n%s", f.out)
	}
	if gs := []string{f.runner.calls[0].group, f.runner.calls[2].group}; !slices.Equal(gs, []string{"halving dropout,lr rung 1/3 (1 epochs)", "halving dropout,lr rung 3/3 (9 epochs)"}) {
		t.Errorf("groups %q", gs)
	}

	f = newFixture(t)
	f.runner.result = func(i int, j Job) nn.Result {
		r := byDropout(i, j)
		if len(f.runner.calls) == 2 {
			r.Status = "not run"
		}
		return r
	}
	f.run(`
runs = halving(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4),
               space = {"dropout": uniform(0, 0.8)}, trials = 9, label = "h")
assert.eq(len(runs), 12)
`)
	if u := f.env.Unfinished(); !slices.Equal(u, []string{"h stopped at rung 2 of 3"}) {
		t.Errorf("unfinished %q", u)
	}
	f.fails(`halving(three_layer_convnet(), tiny, train_config(), space = {"epochs": int_uniform(1, 3)})`, "halving: for parameter space: epochs is what halving allots")
	f.fails(`halving(three_layer_convnet(), tiny, train_config(), space = {"lr": uniform(0.1, 1)}, eta = 1)`, "halving: for parameter eta: got 1, want >= 2")
	f.fails(`halving(three_layer_convnet(), tiny, train_config(), space = {"lr": uniform(0.1, 1)}, min_epochs = 3, max_epochs = 2)`, "halving: for parameter max_epochs: got 2, want >= 3")
	f.fails(`halving(three_layer_convnet(), tiny, train_config(), space = {"lr": uniform(0.1, 1)}, label = "a\x1bb")`, "halving: for parameter label: control character")
}

// TestPlotViews draws the search figures from a fake search and checks
// the arguments.
func TestPlotViews(t *testing.T) {
	f := newFixture(t)
	f.runner.result = byDropout
	f.run(`
runs = search(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4),
              space = {"lr": log_uniform(1e-4, 1e-1), "dropout": uniform(0, 0.8), "batch_size": choice([4, 8])},
              trials = 12, seeds = [0, 1])
def draw():
    for x, hue in [("lr", "batch_size"), ("dropout", None), ("trial", None), ("settings", None)]:
        assert.eq(len(plot(runs, x = x, hue = hue)), 2)
draw()
`)
	for _, want := range []string{"val_acc by lr and batch_size", "val_acc by dropout", "val_acc: best so far", "val_acc by settings"} {
		if !strings.Contains(f.out.String(), "plot: "+want+": ") {
			t.Errorf("no figure %q in:\n%s", want, f.out)
		}
	}
	pre := `runs = sweep(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), tiny, train_config(batch_size = 4), grid = {"reg": [0.0, 0.1]})
`
	f.fails(pre+`plot(runs, x = "lr")`, `plot: for parameter x: "lr" is not a setting of these results (settings: reg; or x = "trial", "settings")`)
	f.fails(pre+`plot(runs, x = "reg", hue = "seed")`, `plot: for parameter hue: "seed" is not a setting`)
	f.fails(pre+`plot(runs, hue = "reg")`, "plot: for parameter hue: hue groups the lines of an x figure; give x too")
	f.fails(pre+`plot(runs, x = "reg", metric = "loss")`, `plot: for parameter metric: x = "reg" draws val_acc or train_acc, not "loss"`)
}
