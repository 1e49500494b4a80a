package results

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestCacheRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	rec := sweepRecord(5, 1, 0.81)
	rec.Filters = &Filters{Shape: [4]int{2, 1, 1, 2}, Data: []float32{0.1, -0.2, 3e-8, 1}}

	if _, ok, err := c.Get(rec.Key); ok || err != nil {
		t.Fatalf("Get before Put: ok=%v err=%v, want a miss", ok, err)
	}
	if err := c.Put(rec); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Get(rec.Key)
	if err != nil || !ok {
		t.Fatalf("Get after Put: ok=%v err=%v", ok, err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Errorf("round trip changed the record:\ngot  %+v\nwant %+v", got, rec)
	}
	// A record read back renders the same table as the fresh one (settings
	// keep their Go types).
	fresh, err := newTable("t", []Record{rec}, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := newTable("t", []Record{got}, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.Rows) != 1 || !reflect.DeepEqual(fresh, loaded) {
		t.Errorf("table from cache %v differs from fresh %v", loaded, fresh)
	}
}

func TestCachePutIsAtomicAndReplaces(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	rec := sweepRecord(3, 0, 0.8)
	for _, acc := range []float64{0.8, 0.9} {
		rec.Result.ValAcc = acc
		if err := c.Put(rec); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(c.Dir, "trials"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != rec.Key+".json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("trials/ holds %v, want only %s.json (no temp files)", names, rec.Key)
	}
	if info, _ := entries[0].Info(); info.Mode().Perm() != 0o644 {
		t.Errorf("record mode %v, want 0644", info.Mode().Perm())
	}
	got, _, err := c.Get(rec.Key)
	if err != nil || got.Result.ValAcc != 0.9 {
		t.Errorf("after second Put: val acc %v, err %v; want 0.9", got.Result.ValAcc, err)
	}
}

func TestCacheCorruptRecord(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	rec := sweepRecord(3, 0, 0.8)
	if err := c.Put(rec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Dir, "trials", rec.Key+".json")
	full, _ := os.ReadFile(path)
	for name, content := range map[string]string{
		"truncated":   string(full[:len(full)/2]),
		"empty":       "",
		"other key":   strings.Replace(string(full), rec.Key, "abcdef", 1),
		"bad filters": strings.Replace(string(full), `"finished"`, `"filters": {"shape": [2, 1, 1, 1], "data": [1]}, "finished"`, 1),
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, ok, err := c.Get(rec.Key)
		if err == nil || ok || !strings.Contains(err.Error(), path) {
			t.Errorf("%s record: ok=%v err=%v, want an error naming %s", name, ok, err, path)
		}
		if _, err := c.List(); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s record: List err=%v, want an error naming %s", name, err, path)
		}
	}
}

func TestCacheRejectsBadKeys(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	for _, key := range []string{"", "../x", "ABC", "abc.json"} {
		if _, _, err := c.Get(key); err == nil {
			t.Errorf("Get(%q): no error", key)
		}
		rec := sweepRecord(3, 0, 0.8)
		rec.Key = key
		if err := c.Put(rec); err == nil {
			t.Errorf("Put with key %q: no error", key)
		}
	}
}

func TestCacheList(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	if recs, err := c.List(); err != nil || len(recs) != 0 {
		t.Fatalf("List of a missing folder = %v, %v; want none", recs, err)
	}
	var want []string
	for i, fs := range []int64{7, 3, 5} {
		rec := sweepRecord(fs, uint64(i), 0.8)
		want = append(want, rec.Key)
		if err := c.Put(rec); err != nil {
			t.Fatal(err)
		}
	}
	// Leftovers of an interrupted write and unrelated files are skipped.
	os.WriteFile(filepath.Join(c.Dir, "trials", ".abc.json.123.tmp"), []byte("{"), 0o644)
	os.WriteFile(filepath.Join(c.Dir, "trials", "notes.txt"), []byte("x"), 0o644)
	recs, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Key)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List keys = %v, want %v (sorted)", got, want)
	}
}

func TestWriteFileAtomicLeavesNoTempOnError(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory: the rename must fail.
	target := filepath.Join(dir, "x")
	os.MkdirAll(filepath.Join(target, "sub"), 0o755)
	if err := writeFileAtomic(target, []byte("data")); err == nil {
		t.Fatal("no error renaming over a directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after a failed write, want only the directory", len(entries))
	}
}
