package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sweepStar is a 4-trial sweep whose first trial takes a fraction of a
// second and the others 400 times as long (about 15 s each here), so that a
// signal sent when the first trial is done lands in the second however late
// a loaded machine delivers it; the interrupted run does not wait for them,
// and the follow-up only checks what it would train.
const sweepStar = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(4, 3), relu(), max_pool(2), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 1, batch_size = 25, train_images = 600)
runs = sweep(model, data, cfg, zip = {"lr": [1e-4, 3e-4, 1e-3, 3e-3], "epochs": [1, 400, 400, 400]})
table(runs, title = "lr", columns = ["lr", "val_acc"])
`

// TestInterruptKeepsFinishedTrials kills a run (SIGINT, then SIGKILL) once
// its first trial is done and checks that the finished trials are on disk
// as complete records and that the next run would train only the others
// (pipe check reads the same cache a run does, without the minute of
// training).
func TestInterruptKeepsFinishedTrials(t *testing.T) {
	pipe := pipeForSweep(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := sweepDir(t)
			cmd, sc, stderr := startPipe(t, pipe, dir, "run", "sweep.star", "--jobs", "1")
			sent := false
			for sc.Scan() {
				if !sent && strings.Contains(sc.Text(), " done lr=") {
					if err := cmd.Process.Signal(sig); err != nil {
						t.Fatal(err)
					}
					sent = true
				}
			}
			err := cmd.Wait()
			if !sent {
				t.Fatalf("no trial finished; stderr:\n%s", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("interrupted run: %v, want a failure; stderr:\n%s", err, stderr.String())
			}
			if sig == syscall.SIGINT {
				if ee.ExitCode() != 1 {
					t.Errorf("exit status %d after SIGINT, want 1", ee.ExitCode())
				}
				if !strings.Contains(stderr.String(), "interrupted: ") || !strings.Contains(stderr.String(), " of 4 trials finished and saved") {
					t.Errorf("stderr lacks the interrupt summary:\n%s", stderr.String())
				}
				if strings.Contains(stderr.String(), "goroutine ") || strings.Contains(stderr.String(), "panic:") {
					t.Errorf("stderr shows a Go trace:\n%s", stderr.String())
				}
			}

			recs, err := filepath.Glob(filepath.Join(dir, "out", "trials", "*.json"))
			if err != nil {
				t.Fatal(err)
			}
			saved := len(recs)
			if saved < 1 || saved >= 4 {
				t.Fatalf("%d records saved after the interrupt, want 1 to 3", saved)
			}

			rerun := exec.Command(pipe, "check", "sweep.star")
			rerun.Dir = dir
			got, err := rerun.CombinedOutput()
			if err != nil {
				t.Fatalf("check after the interrupt: %v\n%s", err, got)
			}
			want := fmt.Sprintf("sweep lr,epochs: 4 trials, %d cached, %d to train", saved, 4-saved)
			if !strings.Contains(string(got), want) {
				t.Errorf("check output lacks %q:\n%s", want, got)
			}
			if n := strings.Count(string(got), "would train lr="); n != 4-saved {
				t.Errorf("check would train %d trials, want %d:\n%s", n, 4-saved, got)
			}
			if strings.Contains(string(got), "warning") {
				t.Errorf("a saved record is unreadable:\n%s", got)
			}
		})
	}
}

// pipeForSweep is the pipe command for tests that train sweepStar (skipped
// with -short): testscript.Main put it on $PATH.
func pipeForSweep(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("trains a small sweep")
	}
	pipe, err := exec.LookPath("pipe")
	if err != nil {
		t.Fatal(err)
	}
	return pipe
}

// sweepDir is a new folder holding sweepStar as sweep.star.
func sweepDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sweep.star"), []byte(sweepStar), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startPipe starts pipe with args in dir and returns it with a scanner of
// its stdout and the buffer its stderr goes to.
func startPipe(t *testing.T, pipe, dir string, args ...string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(pipe, args...)
	cmd.Dir = dir
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out), stderr
}

// deepStr spends its time inside one builtin that Starlark cannot
// interrupt: str() of a million-deep list takes minutes.
const deepStr = `x = []
for i in range(1000000):
    x = [x]
print("built")
s = str(x)
`

// TestInterruptInsideBuiltin: Ctrl-C stops evaluation promptly even inside
// a builtin that computes for minutes (it used to take effect when str()
// returned, 11 s later for a 200000-deep list). The evaluation gets half a
// second to notice; the test allows 2 s for a loaded machine.
func TestInterruptInsideBuiltin(t *testing.T) {
	pipe, err := exec.LookPath("pipe")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "deep.star"), []byte(deepStr), 0o644)
	cmd, sc, stderr := startPipe(t, pipe, dir, "check", "deep.star")
	defer cmd.Process.Kill()
	if !sc.Scan() || sc.Text() != "built" {
		t.Fatalf("no 'built' line: %v; stderr %s", sc.Err(), stderr.String())
	}
	time.Sleep(300 * time.Millisecond) // inside str() now
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	kill := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() }) // str() would go on for minutes
	defer kill.Stop()
	err = cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFail {
		t.Errorf("exit: %v, want status %d", err, exitFail)
	}
	if took > 2*time.Second {
		t.Errorf("the run stopped %v after SIGINT, want well under 2 s", took)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr %q does not say it was interrupted", stderr.String())
	}
	t.Logf("stopped %v after SIGINT", took)
}
