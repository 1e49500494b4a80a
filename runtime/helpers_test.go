package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// memStore is an in-memory Store that counts writes.
type memStore struct {
	mu   sync.Mutex
	recs map[string]results.Record
	puts int
}

func newMemStore() *memStore { return &memStore{recs: map[string]results.Record{}} }

func (m *memStore) Get(key string) (results.Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[key]
	return r, ok, nil
}

func (m *memStore) Put(r results.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[r.Key] = r
	m.puts++
	return nil
}

// fakeTrain is a TrainFunc whose result is a function of the seed alone,
// reporting two iterations of progress. Seeds listed in block wait for ctx;
// seeds in fail return an error.
type fakeTrain struct {
	mu      sync.Mutex
	calls   int
	started []int // the cores each training started with
	// grow: the training of these seeds waits until it is given this many
	// cores (the scheduler hands over those of finished trials).
	grow map[uint64]int
	// together: no training returns before this many have started (so
	// none has had the cores of a finished one when it starts).
	together int
	block    map[uint64]bool
	fail     map[uint64]bool
	panic    map[uint64]bool
}

func (f *fakeTrain) train(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
	cores := nn.CoresFrom(ctx)
	f.mu.Lock()
	f.calls++
	f.started = append(f.started, cores.Get())
	f.mu.Unlock()
	for deadline := time.Now().Add(10 * time.Second); f.count() < f.together; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			return nn.Result{}, nil, nil, fmt.Errorf("%d trainings started, want %d together", f.count(), f.together)
		}
	}
	if n := f.grow[cfg.Seed]; n > 0 {
		for deadline := time.Now().Add(10 * time.Second); cores.Get() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				return nn.Result{}, nil, nil, fmt.Errorf("seed %d: still %d cores, want %d", cfg.Seed, cores.Get(), n)
			}
		}
	}
	if f.block[cfg.Seed] {
		<-ctx.Done()
		return nn.Result{}, nil, nil, ctx.Err()
	}
	if f.fail[cfg.Seed] {
		return nn.Result{}, nil, nil, fmt.Errorf("data set too small")
	}
	if f.panic[cfg.Seed] {
		var s []int
		_ = s[cfg.Seed] // index out of range
	}
	for i := 1; i <= 2; i++ {
		run.Progress(nn.Progress{Epoch: 1, Epochs: 1, Iter: i, Iters: 2, Loss: 1 / float64(i)})
	}
	acc := float64(cfg.Seed%10) / 10
	return nn.Result{Status: "ok", Loss: []float64{1, 0.5}, TrainAccs: []float64{acc}, ValAccs: []float64{acc}, ValAcc: acc}, nil, nil, nil
}

func (f *fakeTrain) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// job returns a job whose trial differs from others only by seed.
func job(seed uint64) builtins.Job {
	return builtins.Job{
		Trial: results.Trial{
			Model: nn.ModelSpec{Layers: []nn.LayerSpec{{Kind: nn.Affine}}, Init: nn.InitNormal, WeightScale: 1e-3},
			Data:  results.DataSpec{Name: "fake", Source: "test"},
			Train: nn.TrainConfig{Optimizer: nn.OptimizerSpec{Name: "sgd", LR: 1e-2}, Epochs: 1, BatchSize: 1, Seed: seed},
			Settings: []results.Setting{
				{Name: "seed", Value: int64(seed)},
			},
		},
		Label: fmt.Sprintf("seed=%d", seed),
	}
}

// testPredeclared is a tiny stand-in for builtins.Predeclared:
//
//	param(name, default)   declares a parameter; returns the -p value (a string) or default
//	boom()                 panics, as a buggy builtin would
//	trials(seeds)          runs one job per seed through the Runner, returns their val_acc
//	fail(msg)              returns an error
func testPredeclared() starlark.StringDict {
	return starlark.StringDict{
		"param": starlark.NewBuiltin("param", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var name string
			var def starlark.Value
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "default", &def); err != nil {
				return nil, err
			}
			env := builtins.EnvOf(th)
			env.Used[name] = true
			if v, ok := env.Params[name]; ok {
				return starlark.String(v), nil
			}
			return def, nil
		}),
		"boom": starlark.NewBuiltin("boom", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
			var xs []int
			return starlark.MakeInt(xs[len(args)]), nil // index out of range: a Go panic
		}),
		"fail": starlark.NewBuiltin("fail", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var msg string
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "msg", &msg); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s", msg)
		}),
		"trials": starlark.NewBuiltin("trials", func(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var seeds *starlark.List
			if err := starlark.UnpackArgs(b.Name(), args, kwargs, "seeds", &seeds); err != nil {
				return nil, err
			}
			var jobs []builtins.Job
			for i := range seeds.Len() {
				s, err := starlark.AsInt32(seeds.Index(i))
				if err != nil {
					return nil, fmt.Errorf("trials: seed %d: %v", i, err)
				}
				jobs = append(jobs, job(uint64(s)))
			}
			env := builtins.EnvOf(th)
			recs, err := env.Runner.Run(env.Ctx, "trials", jobs)
			if err != nil {
				return nil, err
			}
			out := make([]starlark.Value, len(recs))
			for i, r := range recs {
				if r.Result.Status == StatusNotRun {
					out[i] = starlark.String(StatusNotRun)
				} else {
					out[i] = starlark.Float(r.Result.ValAcc)
				}
			}
			return starlark.NewList(out), nil
		}),
	}
}

// writeFiles creates the named files under a new temporary folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chdir makes dir the working directory for the rest of the test, so that
// file names in messages are short and relative, as a user sees them.
func chdir(t *testing.T, dir string) { t.Chdir(dir) }

// runFile runs file (relative to the working directory) with the test
// builtins and returns what it printed and its error.
func runFile(t *testing.T, file string, opt Options) (string, error) {
	t.Helper()
	var out strings.Builder
	opt.File = file
	opt.Stdout = &out
	if opt.Predeclared == nil {
		opt.Predeclared = testPredeclared()
	}
	if opt.Store == nil {
		opt.Store = newMemStore()
	}
	if opt.Train == nil {
		opt.Train = (&fakeTrain{}).train
	}
	err := Run(context.Background(), opt)
	return out.String(), err
}
