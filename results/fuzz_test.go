package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeRecord feeds arbitrary bytes to the record decoder the cache
// uses: it must return an error or a record, never panic, and a record it
// accepts must encode and decode again to the same JSON.
func FuzzDecodeRecord(f *testing.F) {
	rec := sweepRecord(3, 1, 0.8)
	rec.Filters = &Filters{Shape: [4]int{1, 1, 1, 2}, Data: []float32{1, -1}}
	good, _ := json.Marshal(rec)
	f.Add(good)
	f.Add([]byte(`{"key":"ab","result":{"loss":["NaN","+Inf",1]},"trial":{"settings":[{"name":"x","value":1.5e300}]}}`))
	f.Add([]byte(`{"key":"ab","filters":{"shape":[1,1,1,1],"data":[]}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord("fuzz.json", b)
		if err != nil {
			return
		}
		once, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("accepted record does not encode: %v", err)
		}
		again, err := decodeRecord("fuzz.json", once)
		if err != nil {
			t.Fatalf("re-encoded record %s does not decode: %v", once, err)
		}
		twice, err := json.Marshal(again)
		if err != nil || string(twice) != string(once) {
			t.Fatalf("encoding is not stable:\n%s\n%s", once, twice)
		}
	})
}

// fuzzRecord is the valid record FuzzVerifyRecord mutates: every field set,
// filters included.
func fuzzRecord() Record {
	rec := sweepRecord(3, 1, 0.8)
	rec.Filters = &Filters{Shape: [4]int{1, 1, 1, 2}, Data: []float32{1, -1}}
	return rec
}

// resealed puts a checksum line over body, as Seal would have: what a
// hand-editor who recomputes the checksum (or a bug that seals garbage)
// leaves in the store.
func resealed(body []byte) []byte {
	sum := sha256.Sum256(body)
	return append([]byte(sealHead+hex.EncodeToString(sum[:])+`",`), body...)
}

// FuzzVerifyRecord mutates a valid record file and reads it through the
// store's reader (VerifyRecord, which Cache.Get runs on a file's bytes). With reseal false the
// mutated bytes are the file: the reader must reject every change, since the
// checksum covers every byte. With reseal true the mutated bytes get a fresh
// checksum, so only the content checks stand between them and a table: an
// accepted record must be the trial of its key with a complete result, and
// must survive Put and Get unchanged. Nothing may panic.
func FuzzVerifyRecord(f *testing.F) {
	rec := fuzzRecord()
	good, err := Seal(rec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, false)
	f.Add(good[sealLineLen:], true)
	f.Fuzz(func(t *testing.T, b []byte, reseal bool) {
		if reseal {
			b = resealed(b)
		}
		// VerifyRecord is what Cache.Get runs on a file's bytes; calling it
		// directly keeps the file system out of every execution but the
		// rare accepted one.
		got, err := VerifyRecord("fuzz.json", rec.Key, b)
		if err != nil {
			return
		}
		if !reseal && !bytes.Equal(b, good) {
			t.Fatalf("a changed file passed the checksum:\n%s", b)
		}
		if k := got.Trial.Key(); k != rec.Key {
			t.Fatalf("accepted a record whose trial hashes to %s, not %s", k, rec.Key)
		}
		if err := checkResult(got.Result, got.Trial.Train.Epochs); err != nil {
			t.Fatalf("accepted an incomplete result: %v", err)
		}
		c := &Cache{Dir: t.TempDir()}
		if err := c.Put(got); err != nil {
			t.Fatalf("an accepted record cannot be stored again: %v", err)
		}
		again, ok, err := c.Get(rec.Key)
		if err != nil || !ok {
			t.Fatalf("an accepted record, stored again, is rejected: %v", err)
		}
		x, _ := json.Marshal(got)
		y, _ := json.Marshal(again)
		if !bytes.Equal(x, y) {
			t.Fatalf("record changed through Put and Get:\n%s\n%s", x, y)
		}
	})
}

// TestFuzzSeeds writes the seed corpus of FuzzVerifyRecord under
// testdata/fuzz with -update (after a change to the record format). A stale
// seed is not an error: it is still an input to mutate.
func TestFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("writes the fuzz seeds with -update")
	}
	good, err := Seal(fuzzRecord())
	if err != nil {
		t.Fatal(err)
	}
	body := good[sealLineLen:]
	edit := func(old, new string) []byte { return bytes.Replace(body, []byte(old), []byte(new), 1) }
	seeds := map[string]struct {
		b      []byte
		reseal bool
	}{
		"sealed":             {good, false},
		"sealed_val_edited":  {bytes.Replace(good, []byte(`"final_val_acc": 0.8`), []byte(`"final_val_acc": 0.999`), 1), false},
		"sealed_truncated":   {good[:len(good)/2], false},
		"unsealed":           {body, false},
		"resealed":           {body, true},
		"resealed_not_run":   {edit(`"status": "ok"`, `"status": "not run"`), true},
		"resealed_null":      {edit(`"result": {`, `"result": null, "x": {`), true},
		"resealed_numerics":  {edit(`"numerics_version": "`+NumericsVersion+`"`, `"numerics_version": "999"`), true},
		"resealed_reg":       {edit(`"reg": 0.001`, `"reg": 0`), true},
		"resealed_diverged":  {edit(`"status": "ok"`, `"status": "diverged", "diverged_at": 7`), true},
		"resealed_acc_1e308": {edit(`"final_val_acc": 0.8`, `"final_val_acc": 1e308`), true},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyRecord")
	for name, s := range seeds {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s.b, s.reseal)
		path := filepath.Join(dir, name)
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
