package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// execPipeline runs a pipeline file as the runtime would — load() relative
// to the loading file — but with the fixture's fake runner, so every
// shipped pipeline is checked against the builtins without training.
func (f *fixture) execPipeline(file string) error {
	f.t.Helper()
	cache := map[string]starlark.StringDict{}
	var load func(thread *starlark.Thread, module string) (starlark.StringDict, error)
	exec := func(thread *starlark.Thread, path string) (starlark.StringDict, error) {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		th := &starlark.Thread{Name: path, Load: load}
		SetEnv(th, f.env)
		defer f.env.EnterFile(filepath.Base(path), "")()
		return starlark.ExecFileOptions(&syntax.FileOptions{}, th, path, src, Predeclared())
	}
	load = func(thread *starlark.Thread, module string) (starlark.StringDict, error) {
		path := filepath.Join(filepath.Dir(thread.CallFrame(0).Pos.Filename()), module)
		if g, ok := cache[path]; ok {
			return g, nil
		}
		g, err := exec(thread, path)
		cache[path] = g
		return g, err
	}
	_, err := exec(nil, file)
	return err
}

// TestPipelines evaluates every shipped pipeline with a fake runner whose
// records pass the overfit check, and checks what each one asks to train.
func TestPipelines(t *testing.T) {
	files, _ := filepath.Glob("../pipelines/*.star")
	if len(files) < 9 {
		t.Fatalf("found %d pipelines, want at least 9", len(files))
	}
	want := map[string]struct {
		trials int
		out    string // in the output
	}{
		"base.star":        {1, "Base model"},
		"batchnorm.star":   {4, "Batch normalisation"},
		"best_net.star":    {1, "Best net"},
		"dropout.star":     {5, "Dropout probability"},
		"filter_size.star": {3, "Conv filter size"},
		"hidden_dim.star":  {3, "Hidden layer size"},
		"num_filters.star": {3, "Number of conv filters"},
		"overfit.star":     {1, "overfit: 100 images, 15 epochs"},
		"reg.star":         {5, "L2 regularisation strength"},
		"sanity.star":      {0, "gradient_check: W1"},
		"report.star":      {87, "report: pipe: the ThreeLayerConvNet study: /"},
		"halving.star":     {13, "Successive halving"},
		"search.star":      {48, "TPE search"},
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			f := newFixture(t)
			f.runner.result = func(int, Job) nn.Result {
				return nn.Result{Status: "ok", Loss: []float64{0.7, 0.1}, TrainAccs: []float64{1.0}, ValAccs: []float64{0.7},
					BestEpoch: 1, TrainAcc: 1, ValAcc: 0.7, TestAcc: 0.68}
			}
			f.runner.filters = true
			f.env.Models = evalStore{}
			if err := f.execPipeline(file); err != nil {
				if ee, ok := err.(*starlark.EvalError); ok {
					t.Fatal(ee.Backtrace())
				}
				t.Fatal(err)
			}
			if got := len(f.runner.jobs()); got != w.trials {
				t.Errorf("%d trials, want %d", got, w.trials)
			}
			if !strings.Contains(f.out.String(), w.out) {
				t.Errorf("output lacks %q:\n%s", w.out, f.out)
			}
			if name == "report.star" {
				// Every pipeline of the study has its section, in load order.
				report, err := os.ReadFile(filepath.Join(f.env.OutDir, "report.md"))
				if err != nil {
					t.Fatal(err)
				}
				last := -1
				for _, p := range []string{"sanity", "overfit", "base", "reg", "dropout", "hidden_dim", "num_filters", "filter_size", "best_net", "batchnorm", "search", "halving"} {
					i := strings.Index(string(report), "\n## "+p+".star\n")
					if i <= last {
						t.Errorf("report: section %s.star at %d, want one after %d", p, i, last)
					}
					last = i
				}
			}
			for _, j := range f.runner.jobs() {
				opt := j.Trial.Train.Optimizer
				if lr := opt.LR; lr >= 1e-4 && lr <= 1e-2 && (strings.HasPrefix(j.Label, "random ") || strings.HasPrefix(j.Label, "tpe ") || strings.HasPrefix(j.Label, "halving ")) {
					opt.LR = 1e-3 // search.star searches the learning rate
				}
				if j.Trial.Data.Name != "fashion-mnist" || j.Trial.Train.BatchSize != 50 || opt != (nn.OptimizerSpec{Name: "adam", LR: 1e-3, Beta1: nn.Some(0.9), Beta2: nn.Some(0.999), Eps: nn.Some(1e-8)}) {
					t.Errorf("trial %+v", j.Trial)
				}
			}
		})
	}
}

// TestPipelineParams: -p epochs and -p data reach the trials, and a
// cifar2 run without its folder says what is missing.
func TestPipelineParams(t *testing.T) {
	f := newFixture(t)
	f.env.Params = map[string]string{"epochs": "3"}
	if err := f.execPipeline("../pipelines/filter_size.star"); err != nil {
		t.Fatal(err)
	}
	for _, j := range f.runner.jobs() {
		if j.Trial.Train.Epochs != 3 {
			t.Errorf("epochs %d, want 3", j.Trial.Train.Epochs)
		}
	}
	f = newFixture(t)
	f.env.Params = map[string]string{"data": "cifar2"}
	err := f.execPipeline("../pipelines/base.star")
	if err == nil || !strings.Contains(err.Error(), "-p data=cifar2 needs -p cifar_dir=PATH") {
		t.Errorf("cifar2 without a folder: %v", err)
	}
	f = newFixture(t)
	f.env.Params = map[string]string{"data": "cifar2", "cifar_dir": t.TempDir()}
	err = f.execPipeline("../pipelines/base.star")
	if err == nil || !strings.Contains(err.Error(), "dataset: open ") {
		t.Errorf("cifar2 with an empty folder: %v", err)
	}
}

// evalStore is a ModelStore for pipelines run with the fake runner, which
// trains nothing and so keeps no weights: every evaluation is found cached,
// one of two 1x28x28 classes with one image wrong.
type evalStore struct{}

func (evalStore) GetWeights(key string) (results.Weights, bool, error) {
	return results.Weights{}, false, nil
}

func (evalStore) GetEvaluation(id string) (results.Evaluation, bool) {
	return results.Evaluation{Key: id, Data: results.DataSpec{Classes: []string{"T-shirt/top", "Shirt"}}, Split: "test",
		Images: 2, Accuracy: 0.5, ClassAcc: []float64{1, 0}, Confusion: [][]int{{1, 0}, {1, 0}}, Shape: [3]int{1, 28, 28},
		Worst: []results.Miss{{Index: 1, Label: 1, Pred: 0, Prob: 0.9, Pixels: make([]byte, 28*28)}}}, true
}

func (evalStore) PutEvaluation(results.Evaluation) error { return nil }
