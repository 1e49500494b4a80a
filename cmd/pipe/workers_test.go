package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// These tests run real pipe processes side by side on one output root, as
// users and batch engines start them, and count who trained what from the
// progress lines: "done LABEL  train ..." is a trial this process trained,
// "... by another process" one it waited for.

// contendedStar is a sweep of 6 trials of about a second each here, long
// enough that processes started together overlap.
const contendedStar = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(4, 3), relu(), max_pool(2), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 6, batch_size = 25, train_images = 2000)
runs = sweep(model, data, cfg, grid = {"lr": [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3]})
table(runs, title = "lr", columns = ["lr", "train_acc", "val_acc", "test_acc"])
`

var (
	trainedLine = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d done (\S+)  train [^\n]*\(\d+\.\d core-s: \d+\.\ds wall (?:× |on up to )\d+ cores?\)$`)
	tableLine   = regexp.MustCompile(`(?m)^[│┌└├].*$`)
)

// trainedBy returns the labels each output says its process trained.
func trainedBy(outs []string) []map[string]bool {
	by := make([]map[string]bool, len(outs))
	for i, out := range outs {
		by[i] = map[string]bool{}
		for _, m := range trainedLine.FindAllStringSubmatch(out, -1) {
			by[i][m[1]] = true
		}
	}
	return by
}

// checkOnce checks that the processes together trained every one of the
// labels exactly once, that every output has the same table, and that no
// claim is left behind; it returns how many trials each trained.
func checkOnce(t *testing.T, dir string, labels []string, outs []string) []int {
	t.Helper()
	count := map[string]int{}
	per := make([]int, len(outs))
	for i, m := range trainedBy(outs) {
		for l := range m {
			count[l]++
			per[i]++
		}
	}
	for _, l := range labels {
		if count[l] != 1 {
			t.Errorf("trial %s trained by %d processes, want 1", l, count[l])
		}
	}
	want := strings.Join(tableLine.FindAllString(outs[0], -1), "\n")
	if want == "" {
		t.Errorf("no table in\n%s", outs[0])
	}
	for i, out := range outs[1:] {
		if got := strings.Join(tableLine.FindAllString(out, -1), "\n"); got != want {
			t.Errorf("process %d printed the table\n%s\nwant\n%s", i+1, got, want)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "out", "claims")); len(left) != 0 {
		t.Errorf("%d claims left behind", len(left))
	}
	if t.Failed() {
		for i, out := range outs {
			t.Logf("process %d:\n%s", i, out)
		}
	}
	return per
}

var contendedLabels = []string{"lr=0.001", "lr=0.002", "lr=0.003", "lr=0.004", "lr=0.005", "lr=0.006"}

func pipeDir(t *testing.T, star string) (pipe, dir string) {
	t.Helper()
	pipe, err := exec.LookPath("pipe") // put on $PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sweep.star"), []byte(star), 0o644); err != nil {
		t.Fatal(err)
	}
	return pipe, dir
}

// runTogether starts one pipe process per argument list at once and
// returns their outputs (stdout and stderr together) once all have exited
// 0.
func runTogether(t *testing.T, pipe, dir string, argss ...[]string) []string {
	t.Helper()
	outs := make([]string, len(argss))
	var wg sync.WaitGroup
	for i, args := range argss {
		wg.Go(func() {
			cmd := exec.Command(pipe, args...)
			cmd.Dir = dir
			b, err := cmd.CombinedOutput()
			outs[i] = string(b)
			if err != nil {
				t.Errorf("pipe %s: %v\n%s", strings.Join(args, " "), err, b)
			}
		})
	}
	wg.Wait()
	return outs
}

// TestPlainRunsTogether: three plain pipe runs of one sweep started
// together train each trial once between them and print the same table.
func TestPlainRunsTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small sweep in three processes")
	}
	pipe, dir := pipeDir(t, contendedStar)
	args := []string{"run", "sweep.star", "--jobs", "1"}
	outs := runTogether(t, pipe, dir, args, args, args)
	per := checkOnce(t, dir, contendedLabels, outs)
	busy := 0
	for _, n := range per {
		if n > 0 {
			busy++
		}
	}
	if busy < 2 {
		t.Errorf("only %d of 3 processes trained anything (%v): they did not overlap, so the test proves nothing", busy, per)
	}
	t.Logf("trials trained per process: %v", per)
}

// TestKilledWorker: a worker is SIGKILLed in the middle of a trial; two
// workers started after it take its trial over (its process is gone, so at
// once, not after the lease) and continue it from its last epoch's
// checkpoint, train the rest once between them, and both print the table.
func TestKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small sweep in three processes")
	}
	pipe, dir := pipeDir(t, contendedStar)
	cmd := exec.Command(pipe, "run", "sweep.star", "--worker", "--jobs", "1")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it in epoch 3 of its first trial: the end of epoch 2 is
	// checkpointed, so the worker that takes the trial over continues it.
	killed := ""
	epoch3 := regexp.MustCompile(`^\d\d:\d\d:\d\d (\S+)  epoch 3/6 `)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := epoch3.FindStringSubmatch(sc.Text()); m != nil {
			killed = m[1]
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if killed == "" {
		t.Fatalf("the first worker never started a trial; stderr:\n%s", stderr.String())
	}
	claims, _ := os.ReadDir(filepath.Join(dir, "out", "claims"))
	if len(claims) != 1 {
		t.Fatalf("the killed worker left %d claims, want the one of %s", len(claims), killed)
	}

	args := []string{"run", "sweep.star", "--worker", "--jobs", "1"}
	outs := runTogether(t, pipe, dir, args, args)
	per := checkOnce(t, dir, contendedLabels, outs)
	took := 0
	for _, o := range outs {
		took += strings.Count(o, "is gone")
	}
	if took != 1 {
		t.Errorf("%d workers said they took over the killed worker's trial, want 1", took)
	}
	resumed := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d start ` + regexp.QuoteMeta(killed) + ` \(from epoch [3-6], cached\)$`)
	if !resumed.MatchString(outs[0]) && !resumed.MatchString(outs[1]) {
		t.Errorf("no worker continued %s from the killed worker's checkpoint (want a line matching %s)", killed, resumed)
	}
	t.Logf("killed worker was training %s; trials trained per worker after: %v", killed, per)
}
