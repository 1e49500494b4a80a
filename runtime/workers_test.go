package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/claim"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// workersStar is a 12-trial sweep of tiny trainings (50 images, 1 epoch).
const workersStar = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(2, 3), relu(), max_pool(2), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 1, batch_size = 25, train_images = 50)
runs = sweep(model, data, cfg, grid = {"lr": [1e-3, 2e-3, 3e-3, 4e-3], "seed": [0, 1, 2]})
table(runs, title = "workers", columns = ["lr", "seed", "train_acc", "val_acc", "test_acc"])
`

// trainCounter wraps nn.Train and counts the trainings of each trial that
// ran to completion, across every worker of a test.
type trainCounter struct {
	mu       sync.Mutex
	finished map[string]int // by trial (lr and seed)
}

func (c *trainCounter) train(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
	res, m, st, err := trainSplits(ctx, spec, d, cfg, run)
	if err == nil {
		c.mu.Lock()
		c.finished[fmt.Sprintf("lr=%g seed=%d", cfg.Optimizer.LR, cfg.Seed)]++
		c.mu.Unlock()
	}
	return res, m, st, err
}

// runWorkers runs n workers of file on one output root at once, each with
// its own claims Dir as separate processes have, and returns their outputs
// and errors.
// It returns each worker's stdout, its stderr (warnings) and its error.
func runWorkers(n int, file, root string, lease time.Duration, tc *trainCounter) ([]strings.Builder, []strings.Builder, []error) {
	outs := make([]strings.Builder, n)
	warns := make([]strings.Builder, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = Run(context.Background(), Options{
				File: file, OutDir: filepath.Join(root, "sweep"), Jobs: 1, Worker: true,
				Lease: lease, Stdout: &outs[i], Stderr: &warns[i], Train: tc.train,
			})
		})
	}
	wg.Wait()
	return outs, warns, errs
}

// tableOf is the rendered table in a run's output.
func tableOf(out string) string {
	var lines []string
	for l := range strings.SplitSeq(out, "\n") {
		if strings.ContainsAny(l, "│┌└├") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// workersSweep writes workersStar and returns its file and the table one
// plain run of it prints in a fresh root.
func workersSweep(t *testing.T) (file, table string) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains 24 tiny trials")
	}
	file = filepath.Join(writeFiles(t, map[string]string{"sweep.star": workersStar}), "sweep.star")
	var out strings.Builder
	err := Run(context.Background(), Options{File: file, OutDir: filepath.Join(t.TempDir(), "w"), Jobs: 1, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if tableOf(out.String()) == "" {
		t.Fatalf("the single run printed no table:\n%s", out.String())
	}
	return file, tableOf(out.String())
}

// TestWorkersShareASweep: 8 workers (each a Run with its own claims Dir, as
// separate processes would have) start together on one output root and a
// 12-trial sweep. Each trial is trained once, every worker prints the
// table a single process prints, and the workers' accounts add up.
func TestWorkersShareASweep(t *testing.T) {
	file, want := workersSweep(t)

	root := t.TempDir()
	tc := &trainCounter{finished: map[string]int{}}
	outs, _, errs := runWorkers(8, file, root, 20*time.Second, tc)
	checkWorkers(t, tc, want, outs, errs)
	trainedHere := 0
	for i := range outs {
		m := accountRE.FindStringSubmatch(outs[i].String())
		if m == nil {
			continue // checkWorkers reported it
		}
		n, _ := strconv.Atoi(m[1])
		trainedHere += n
	}
	if trainedHere != 12 {
		t.Errorf("the workers' accounts add up to %d trials trained, want 12", trainedHere)
	}
}

// accountRE matches a worker's per-sweep account line.
var accountRE = regexp.MustCompile(`(?m)^sweep [^:]*: worker [^ ]+:\d+: (\d+) trials? trained here, \d+ by other processes, \d+ cached$`)

// checkWorkers checks that every trial of the sweep finished training
// exactly once and that every worker that completed printed want.
func checkWorkers(t *testing.T, tc *trainCounter, want string, outs []strings.Builder, errs []error) {
	t.Helper()
	if len(tc.finished) != 12 {
		t.Errorf("%d distinct trials trained, want 12: %v", len(tc.finished), tc.finished)
	}
	for k, n := range tc.finished {
		if n != 1 {
			t.Errorf("trial %s trained %d times, want once", k, n)
		}
	}
	for i := range outs {
		if errs[i] != nil {
			continue
		}
		if got := tableOf(outs[i].String()); got != want {
			t.Errorf("worker %d printed\n%s\nwant the single run's\n%s\nfull output:\n%s", i, got, want, outs[i].String())
		}
		if !accountRE.MatchString(outs[i].String()) {
			t.Errorf("worker %d printed no account line:\n%s", i, outs[i].String())
		}
	}
}

// TestWorkersSurviveAHungWorker: one worker claims a trial and then hangs
// (its training never returns and its claim is never renewed). The 7 others
// train the other 11 trials, wait for the hung one's claim to expire, take
// its trial over and complete the sweep with the single run's table.
func TestWorkersSurviveAHungWorker(t *testing.T) {
	file, want := workersSweep(t)

	root := t.TempDir()
	const lease = 2 * time.Second
	hungCtx, stopHung := context.WithCancel(context.Background())
	defer stopHung()
	entered := make(chan struct{})
	var once sync.Once
	hangs := func(ctx context.Context, _ nn.ModelSpec, _ *data.Splits, _ nn.TrainConfig, _ nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
		once.Do(func() { close(entered) })
		<-ctx.Done()
		return nn.Result{}, nil, nil, ctx.Err()
	}
	hungDone := make(chan error, 1)
	go func() {
		hungDone <- Run(hungCtx, Options{
			File: file, OutDir: filepath.Join(root, "sweep"), Jobs: 1, Worker: true, Train: hangs,
			Claims: &claim.Dir{Path: filepath.Join(root, claim.DirName), Lease: lease, Beat: time.Hour},
			Store:  &results.Cache{Dir: root},
		})
	}()
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatal("the hung worker never started training")
	}

	tc := &trainCounter{finished: map[string]int{}}
	start := time.Now()
	outs, warns, errs := runWorkers(7, file, root, lease, tc)
	took := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	checkWorkers(t, tc, want, outs, errs)
	if took < lease {
		t.Errorf("the sweep completed in %s, before the hung worker's lease (%s) ran out", took, lease)
	}
	all := ""
	for i := range outs {
		all += warns[i].String()
		if strings.Contains(outs[i].String(), "warning") {
			t.Errorf("worker %d printed a warning on stdout:\n%s", i, outs[i].String())
		}
	}
	if !strings.Contains(all, "has not renewed it") {
		t.Errorf("no worker said it took the hung worker's trial over:\n%s", all)
	}
	stopHung()
	var ie *InterruptedError
	if err := <-hungDone; !errors.As(err, &ie) {
		t.Errorf("the hung worker, cancelled, returned %v; want an interrupt", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, claim.DirName)); len(left) != 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("claims left behind: %v", names)
	}
}
