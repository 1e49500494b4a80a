package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tinyPipeline is one trial that trains in well under a second.
const tinyPipeline = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(2, 3), relu(), max_pool(2), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 1, batch_size = 50, train_images = 100)
train(model, data, cfg, label = "tiny")
`

// runPipe runs pipe with args in dir and returns its exit status, stdout
// and stderr.
func runPipe(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	code := pipeMain(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// mountTmpfs mounts a tmpfs of size bytes with opts at a new folder, or
// skips the test where mounting is not allowed (not root, a container
// without the capability).
func mountTmpfs(t *testing.T, size string, opts string) string {
	t.Helper()
	dir := t.TempDir()
	o := "size=" + size
	if opts != "" {
		o += "," + opts
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestOutCheckedBeforeTraining: an output root that is a regular file, is
// read-only or is full ends pipe run with exit 2 naming the folder and the
// reason before anything trains (it used to train first and fail saving).
func TestOutCheckedBeforeTraining(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "tiny.star"), []byte(tinyPipeline), 0o644)
	os.WriteFile(filepath.Join(work, "file"), []byte("x"), 0o644)

	cases := map[string]struct{ out, reason string }{
		"regular file": {"file", "file/trials: not a directory"},
		"under a file": {"file/sub", "file/sub/trials: not a directory"},
		"read-only":    {"", "read-only file system"},
		"full":         {"", "no space left on device"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out := c.out
			switch name {
			case "read-only":
				out = mountTmpfs(t, "1m", "ro")
			case "full":
				out = mountTmpfs(t, "1m", "")
				os.Mkdir(filepath.Join(out, "trials"), 0o755)
				os.WriteFile(filepath.Join(out, "filler"), make([]byte, 2<<20), 0o644) // fails when full
			}
			code, stdout, stderr := runPipe(t, work, "run", "tiny.star", "--out", out)
			if code != exitUsage || !strings.Contains(stderr, "pipe run: output folder ") || !strings.Contains(stderr, c.reason) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming the folder and %q", code, stderr, c.reason)
			}
			if strings.Contains(stdout, "start") || strings.Contains(stdout, "done") {
				t.Errorf("trained before failing:\n%s", stdout)
			}
		})
	}
	// pipe check writes nothing, but a root that is a file is still no root.
	code, _, stderr := runPipe(t, work, "check", "tiny.star", "--out", "file")
	if code != exitUsage || !strings.Contains(stderr, "pipe check: output folder file: not a directory") {
		t.Errorf("check: exit %d, stderr %q", code, stderr)
	}
}

// TestStaleTempsRemoved: temp files that killed runs left in the store are
// removed by the next run once they are old enough that no live run can be
// writing them; a fresh one (a run writing right now) stays.
func TestStaleTempsRemoved(t *testing.T) {
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "tiny.star"), []byte(tinyPipeline), 0o644)
	trials := filepath.Join(work, "out", "trials")
	os.MkdirAll(trials, 0o755)
	stale := filepath.Join(trials, ".0123abcd.json.4242.tmp")
	fresh := filepath.Join(trials, ".4567abcd.json.4343.tmp")
	os.WriteFile(stale, []byte(`{"key": "0123`), 0o644)
	os.WriteFile(fresh, []byte(`{"key": "4567`), 0o644)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)

	code, _, stderr := runPipe(t, work, "run", "tiny.star", "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temp file is still there")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh temp file (maybe being written) was removed")
	}
	if !strings.Contains(stderr, "removed 1 temp file of killed runs from out/trials") {
		t.Errorf("stderr %q does not say what was removed", stderr)
	}
}
