package results

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPruneOldestFirst: with a size limit, Prune removes states (and with
// TrialsDir kept, weights) oldest first until the store fits, never records.
func TestPruneOldestFirst(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(kind, name string, size int, age int) {
		p := filepath.Join(c.Dir, kind, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		m := base.Add(-time.Duration(age) * time.Hour)
		os.Chtimes(p, m, m)
	}
	put(TrialsDir, "a.json", 100, 9)
	put(TrialsDir, "b.json", 100, 9)
	put(StatesDir, "a.safetensors", 1000, 3)
	put(StatesDir, "b.safetensors", 1000, 1)
	put(WeightsDir, "a.safetensors", 500, 5)
	put(StatesDir, ".a.safetensors.123.tmp", 7, 0)
	put(EvalsDir, "e.json", 30, 0)
	u, err := c.Usage()
	if err != nil || len(u) != 4 || u[0].Bytes != 200 || u[1].Bytes != 2000 || u[1].Files != 2 || u[2].Bytes != 500 || u[3].Kind != EvalsDir || u[3].Bytes != 30 {
		t.Fatalf("usage %+v %v", u, err)
	}
	got, _, err := c.Prune(TrialsDir, 1700)
	if err != nil {
		t.Fatal(err)
	}
	// 2730 bytes: the oldest removable file is the weights (5 h), then
	// state a (3 h): 1230 left.
	if len(got) != 2 || got[0].Kind != WeightsDir || got[1].Path != filepath.Join(c.Dir, StatesDir, "a.safetensors") {
		t.Errorf("pruned %+v", got)
	}
	got, _, err = c.Prune(WeightsDir, 0)
	if err != nil || len(got) != 1 || got[0].Bytes != 1000 {
		t.Errorf("pruning every state: %+v %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(c.Dir, TrialsDir, "a.json")); err != nil {
		t.Errorf("a record was removed: %v", err)
	}
	if _, _, err := c.Prune("everything", 0); err == nil {
		t.Errorf("unknown keep accepted")
	}
}

// TestPruneKeepsUnfinished: the state and best weights of a trial without a
// record are its checkpoint (interrupted or still training); Prune leaves
// them, whatever the limit, and counts them.
func TestPruneKeepsUnfinished(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	for _, p := range []string{TrialsDir + "/done.json", StatesDir + "/done.safetensors", StatesDir + "/running.safetensors", WeightsDir + "/running.safetensors"} {
		p = filepath.Join(c.Dir, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, 64), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, unfinished, err := c.Prune(TrialsDir, 0)
	if err != nil || len(got) != 1 || got[0].Path != filepath.Join(c.Dir, StatesDir, "done.safetensors") || unfinished != 2 {
		t.Fatalf("pruned %+v, %d unfinished, %v; want only done's state, 2 unfinished", got, unfinished, err)
	}
	for _, p := range []string{StatesDir + "/running.safetensors", WeightsDir + "/running.safetensors"} {
		if _, err := os.Stat(filepath.Join(c.Dir, p)); err != nil {
			t.Errorf("the checkpoint of an unfinished trial was removed: %v", err)
		}
	}
}
