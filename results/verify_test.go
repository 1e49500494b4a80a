package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn"
)

// recordEdits are the hand edits of issue 9: each turns a stored record into
// one that must not be trusted. They edit the decoded JSON, so they are
// independent of the file's layout.
var recordEdits = map[string]func(m map[string]any){
	"result null":         func(m map[string]any) { m["result"] = nil },
	"status not run":      func(m map[string]any) { res(m)["status"] = "not run" },
	"reg changed":         func(m map[string]any) { m["trial"].(map[string]any)["model"].(map[string]any)["reg"] = 0.5 },
	"numerics 999":        func(m map[string]any) { m["numerics_version"] = "999" },
	"trial deleted":       func(m map[string]any) { delete(m, "trial") },
	"val acc 0.999":       func(m map[string]any) { res(m)["final_val_acc"] = 0.999 },
	"val acc 1e308":       func(m map[string]any) { res(m)["final_val_acc"] = 1e308 },
	"val_acc history cut": func(m map[string]any) { res(m)["val_acc"] = []any{0.5} },
	"seconds changed":     func(m map[string]any) { m["seconds"] = 1.0 },
	"core_seconds -1":     func(m map[string]any) { m["core_seconds"] = -1.0 },
}

func res(m map[string]any) map[string]any { return m["result"].(map[string]any) }

// editRecord rewrites the record file at path with edit applied; reseal
// recomputes the checksum, as someone who knew the format would, so only
// the checks of the content can catch the edit.
func editRecord(t *testing.T, path string, edit func(map[string]any), reseal bool) {
	t.Helper()
	b := readFile(t, path)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	delete(m, "checksum")
	out, err := json.MarshalIndent(m, "", "  ")
	if reseal {
		out, err = Seal(m)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGetRejectsEditedRecords: every edit of issue 9 makes Get refuse the
// record with an error naming the file, whether or not the editor also fixed
// the checksum (except edits of plausible values, which only the checksum
// can catch).
func TestGetRejectsEditedRecords(t *testing.T) {
	for name, edit := range recordEdits {
		for _, reseal := range []bool{false, true} {
			if reseal && (name == "val acc 0.999" || name == "seconds changed") {
				continue // plausible values: only the checksum tells
			}
			c := &Cache{Dir: t.TempDir()}
			rec := sweepRecord(3, 0, 0.8)
			if err := c.Put(rec); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(c.Dir, TrialsDir, rec.Key+".json")
			editRecord(t, path, edit, reseal)
			got, ok, err := c.Get(rec.Key)
			if err == nil || ok || !strings.Contains(err.Error(), path) {
				t.Errorf("%s (resealed %v): Get = %+v, %v, %v; want an error naming %s", name, reseal, got.Result, ok, err, path)
			}
		}
	}
}

// TestGetAcceptsWhatPutWrote: the checks accept every kind of result a real
// run writes: several epochs, a run that diverged after an epoch, one that
// diverged in its first epoch, one that early stopping ended.
func TestGetAcceptsWhatPutWrote(t *testing.T) {
	ok := sweepRecord(5, 1, 0.81)
	div := sweepRecord(5, 2, 0.7)
	div.Result.Status, div.Result.DivergedAt = "diverged", 5
	div.Result.Loss = div.Result.Loss[:4]
	div.Result.TrainAccs, div.Result.ValAccs, div.Result.BestEpoch = div.Result.TrainAccs[:1], div.Result.ValAccs[:1], 1
	early := sweepRecord(5, 3, 0)
	early.Result = nn.Result{Status: "diverged", DivergedAt: 1}
	stopped := sweepRecord(5, 4, 0.7)
	stopped.Trial.Train.Epochs = 4
	stopped.Key = stopped.Trial.Key()
	stopped.Result.StoppedAt = 2
	c := &Cache{Dir: t.TempDir()}
	for _, rec := range []Record{ok, div, early, stopped} {
		if err := c.Put(rec); err != nil {
			t.Fatal(err)
		}
		if _, found, err := c.Get(rec.Key); !found || err != nil {
			t.Errorf("status %s: Get = %v, %v; want the record", rec.Result.Status, found, err)
		}
	}
}

// TestGetOldRecordHasNoChecksum: a record as pipe wrote it before records
// were sealed is reported with ErrNoChecksum, so the scheduler can warn once.
func TestGetOldRecordHasNoChecksum(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	rec := sweepRecord(3, 0, 0.8)
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(c.Dir, TrialsDir), 0o755)
	os.WriteFile(filepath.Join(c.Dir, TrialsDir, rec.Key+".json"), append(b, '\n'), 0o644)
	if _, ok, err := c.Get(rec.Key); ok || !errors.Is(err, ErrNoChecksum) {
		t.Errorf("Get of an unsealed record = %v, %v; want ErrNoChecksum", ok, err)
	}
}

// TestSealDetectsEveryByte: changing, dropping or adding any byte of a sealed
// file is detected.
func TestSealDetectsEveryByte(t *testing.T) {
	b, err := Seal(sweepRecord(3, 0, 0.8))
	if err != nil {
		t.Fatal(err)
	}
	if err := Unseal(b); err != nil {
		t.Fatalf("Unseal of a fresh seal: %v", err)
	}
	for i := range b {
		flipped := append([]byte(nil), b...)
		flipped[i] ^= 0x01
		if Unseal(flipped) == nil {
			t.Fatalf("flipping byte %d (%q) went unnoticed", i, b[i])
		}
		if Unseal(append(append([]byte(nil), b[:i]...), b[i+1:]...)) == nil {
			t.Fatalf("dropping byte %d (%q) went unnoticed", i, b[i])
		}
	}
	if Unseal(append(b, ' ')) == nil {
		t.Error("a byte appended went unnoticed")
	}
}
