package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// resumeStar is one 4-epoch trial with dropout and lr decay, each epoch a
// few seconds, so that a SIGKILL sent when epoch 3 starts lands in it.
const resumeStar = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 100)
model = sequential([conv(8, 3), relu(), max_pool(2), dropout(0.2), affine(16), relu(), affine(2)])
cfg = train_config(optimizer = sgd_momentum(lr = 1e-2), epochs = 4, batch_size = 25, train_images = 6000, lr_decay = 0.8)
r = train(model, data, cfg, label = "net")
`

// TestKilledTrialResumes kills a run with SIGKILL during epoch 3 of its
// 4-epoch trial, runs it again, and checks that the rerun starts at epoch
// 3 from the checkpoint, that its record equals an uninterrupted run's but
// for timings, and that the checkpoint is replaced by the final state.
func TestKilledTrialResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	pipe, err := exec.LookPath("pipe")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "resume.star"), []byte(resumeStar), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(root string, kill bool) (string, error) {
		cmd := exec.Command(pipe, "run", "resume.star", "--jobs", "1", "--out", root)
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
		var lines strings.Builder
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines.WriteString(sc.Text() + "\n")
			if kill && strings.Contains(sc.Text(), "epoch 3/4") {
				cmd.Process.Signal(syscall.SIGKILL)
				kill = false
			}
		}
		err = cmd.Wait()
		return lines.String() + stderr.String(), err
	}
	record := func(root string) results.Record {
		recs, err := (&results.Cache{Dir: root}).List()
		if err != nil || len(recs) != 1 {
			t.Fatalf("%d records in %s: %v", len(recs), root, err)
		}
		return recs[0].WithoutTiming()
	}

	killed := filepath.Join(dir, "killed")
	out, err := run(killed, true)
	if err == nil {
		t.Fatalf("killed run succeeded:\n%s", out)
	}
	if recs, _ := (&results.Cache{Dir: killed}).List(); len(recs) != 0 {
		t.Fatalf("killed run saved a record")
	}
	states, _ := filepath.Glob(filepath.Join(killed, results.StatesDir, "*.safetensors"))
	if len(states) != 1 {
		t.Fatalf("%d checkpoints after the kill, want 1:\n%s", len(states), out)
	}
	key := strings.TrimSuffix(filepath.Base(states[0]), ".safetensors")
	c := &results.Cache{Dir: killed}
	st, ok, err := c.GetState(key)
	if !ok || err != nil || st.Epoch != 2 {
		t.Fatalf("checkpoint: ok %v, %v, epoch %v; want epoch 2", ok, err, st)
	}

	out, err = run(killed, false)
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if !strings.Contains(out, "start net (from epoch 3, cached)") || strings.Contains(out, "epoch 1/4") || strings.Contains(out, "epoch 2/4") {
		t.Errorf("rerun did not start at epoch 3:\n%s", out)
	}
	if st, _, _ := c.GetState(key); st == nil || st.Epoch != 4 {
		t.Errorf("the checkpoint was not replaced by the final state: %+v", st)
	}

	fresh := filepath.Join(dir, "fresh")
	if out, err := run(fresh, false); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	a, _ := json.Marshal(record(killed))
	b, _ := json.Marshal(record(fresh))
	if !bytes.Equal(a, b) {
		t.Errorf("resumed record differs from the uninterrupted one:\n%s\n%s", a, b)
	}
}
