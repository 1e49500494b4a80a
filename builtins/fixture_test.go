package builtins

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
	"go.starlark.net/syntax"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// fakeRunner records the jobs it is given and returns deterministic records
// without training: job i of a call gets val_acc 0.70 + 0.01·i, so the last
// trial of a sweep is the best.
type fakeRunner struct {
	calls []fakeCall
	// result, when set, replaces the default result of job i.
	result func(i int, j Job) nn.Result
	err    error
	// filters, when set, gives every record first-layer filters (as the
	// runtime keeps them) so that plot(metric = "filters") can draw.
	filters bool
}

type fakeCall struct {
	group string
	jobs  []Job
}

func (f *fakeRunner) Run(_ context.Context, group string, jobs []Job) ([]results.Record, error) {
	f.calls = append(f.calls, fakeCall{group, jobs})
	if f.err != nil {
		return nil, f.err
	}
	recs := make([]results.Record, len(jobs))
	for i, j := range jobs {
		res := nn.Result{
			Status: "ok", Loss: []float64{2.3, 1.2, 0.7},
			TrainAccs: []float64{0.6, 0.9}, ValAccs: []float64{0.6, 0.70 + 0.01*float64(i)},
			BestEpoch: 2, TrainAcc: 0.9, ValAcc: 0.70 + 0.01*float64(i), TestAcc: 0.65,
		}
		if f.result != nil {
			res = f.result(i, j)
		}
		recs[i] = results.NewRecord(j.Trial, res, 1.5, time.Unix(0, 0))
		if l := j.Trial.Model.Layers[0]; f.filters && l.Kind == nn.Conv {
			w := make([]float32, l.Filters*l.FilterH*l.FilterW)
			for k := range w {
				w[k] = float32(k%7) - 3
			}
			var err error
			if recs[i].Filters, err = results.NewFilters([]int{l.Filters, 1, l.FilterH, l.FilterW}, w); err != nil {
				return nil, err
			}
		}
	}
	return recs, nil
}

// jobs returns every job of every call, in order.
func (f *fakeRunner) jobs() []Job {
	var all []Job
	for _, c := range f.calls {
		all = append(all, c.jobs...)
	}
	return all
}

// tinyData is a hand-built 2-class data set of 1x8x8 images: 24 training
// images (4 held out for validation) and 6 test images.
func tinyData(t testing.TB) *Data {
	t.Helper()
	set := func(n int) *data.Set {
		s := &data.Set{N: n, C: 1, H: 8, W: 8, Classes: []string{"a", "b"},
			Images: make([]uint8, n*64), Labels: make([]uint8, n)}
		for i := range s.Images {
			s.Images[i] = uint8(i * 7)
		}
		for i := range s.Labels {
			s.Labels[i] = uint8(i % 2)
		}
		return s
	}
	sp, err := data.NewSplits(set(24), set(6), 4, -1)
	if err != nil {
		t.Fatal(err)
	}
	return NewData(results.DataSpec{Name: "tiny", Source: "test", Validation: 4, SplitSeed: -1, Fingerprint: sp.Fingerprint()}, sp)
}

// fixture evaluates Starlark source with the builtins, a fake runner, the
// tiny data set predeclared as `tiny`, captured output and a temporary
// output folder.
type fixture struct {
	t      *testing.T
	env    *Env
	runner *fakeRunner
	out    *bytes.Buffer
	errOut *bytes.Buffer // warnings
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, runner: &fakeRunner{}, out: &bytes.Buffer{}, errOut: &bytes.Buffer{}}
	f.env = &Env{Ctx: context.Background(), Stdout: f.out, Stderr: f.errOut, OutDir: t.TempDir(), Runner: f.runner, Params: map[string]string{},
		Manifest: &results.Manifest{Version: results.ManifestVersion}, Data: testData}
	return f
}

// testData is the data cache every fixture shares, so that the tests read
// the embedded data set once.
var testData = &DataCache{}

// exec runs src and returns its globals or its error.
func (f *fixture) exec(src string) (starlark.StringDict, error) {
	f.t.Helper()
	thread := &starlark.Thread{Name: f.t.Name(), Print: func(_ *starlark.Thread, msg string) { fmt.Fprintln(f.out, msg) }}
	SetEnv(thread, f.env)
	starlarktest.SetReporter(thread, f.t)
	pre := Predeclared()
	pre["tiny"] = tinyData(f.t)
	assert, err := starlarktest.LoadAssertModule()
	if err != nil {
		f.t.Fatal(err)
	}
	pre["assert"] = assert["assert"]
	// No file options: the pipelines must run under the strictest dialect.
	return starlark.ExecFileOptions(&syntax.FileOptions{}, thread, f.t.Name()+".star", src, pre)
}

// run runs src and fails the test on error.
func (f *fixture) run(src string) starlark.StringDict {
	f.t.Helper()
	g, err := f.exec(src)
	if err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			f.t.Fatal(ee.Backtrace())
		}
		f.t.Fatal(err)
	}
	return g
}

// fails runs src and checks that it fails with an error containing want.
func (f *fixture) fails(src, want string) {
	f.t.Helper()
	_, err := f.exec(src)
	if err == nil {
		f.t.Fatalf("%s: succeeded, want error containing %q", src, want)
	}
	if !strings.Contains(err.Error(), want) {
		f.t.Fatalf("%s:\n got error %q\nwant it to contain %q", src, err, want)
	}
}
