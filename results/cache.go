package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// TrialsDir is the sub-folder of the output root (Cache.Dir) holding one
// record per trial, shared by every pipeline.
const TrialsDir = "trials"

// records returns the folder holding the records: RecordsDir, or
// Dir/trials.
func (c *Cache) records() string {
	if c.RecordsDir != "" {
		return c.RecordsDir
	}
	return filepath.Join(c.Dir, TrialsDir)
}

// path returns where the record of key lives.
func (c *Cache) path(key string) string {
	return filepath.Join(c.records(), key+".json")
}

// Get returns the record for key, or ok=false when there is none.
//
// A missing file is not an error: it is the normal "train this trial" case.
// A file that VerifyRecord does not trust (unreadable, torn, edited, written
// by an older pipe, or not the finished result of the trial its name says)
// is an error naming the file and the reason, and the caller decides what it
// costs: the runtime's scheduler warns and retrains the trial over it, pipe
// report stops and names it.
func (c *Cache) Get(key string) (rec Record, ok bool, err error) {
	if !validKey(key) {
		return Record{}, false, fmt.Errorf("results: invalid trial key %q (want hex digits)", key)
	}
	p := c.path(key)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("results: reading record: %w", err)
	}
	rec, err = VerifyRecord(p, key, b)
	if err != nil {
		return Record{}, false, err
	}
	return rec, true, nil
}

// decodeRecord parses a record file's bytes; errors name the file.
func decodeRecord(path string, b []byte) (Record, error) {
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, fmt.Errorf("%s: corrupt record: %v", path, err)
	}
	if !validKey(rec.Key) {
		return Record{}, fmt.Errorf("%s: corrupt record: invalid key %q", path, rec.Key)
	}
	if rec.Filters != nil {
		if err := rec.Filters.check(); err != nil {
			return Record{}, fmt.Errorf("%s: corrupt record: %v", path, err)
		}
	}
	return rec, nil
}

// Put writes rec atomically (temp file + rename), sealed with a checksum
// (see Seal) that Get checks.
//
// The temp file is created in the same folder (so the rename cannot cross
// file systems), synced to disk before the rename, and the folder is synced
// after it: a crash or kill at any point leaves either no record or the
// complete one, never half a file. An existing record of the same key is
// replaced (that is what --rerun does).
func (c *Cache) Put(rec Record) error {
	if !validKey(rec.Key) {
		return fmt.Errorf("results: cannot store record with invalid key %q", rec.Key)
	}
	b, err := Seal(rec)
	if err != nil {
		return fmt.Errorf("results: encoding record %s: %w", rec.Key, err)
	}
	dir := c.records()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return writeFileAtomic(c.path(rec.Key), b)
}

// List returns every record in the cache, sorted by key so the result does
// not depend on the file system's order. Temp files of interrupted writes are
// skipped; a corrupt record is an error naming its file. An absent cache
// folder holds no records.
func (c *Cache) List() ([]Record, error) {
	entries, err := storeEntries(c.records())
	if err != nil {
		return nil, fmt.Errorf("results: listing records: %w", err)
	}
	var recs []Record
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		key := strings.TrimSuffix(name, ".json")
		rec, ok, err := c.Get(key)
		if err != nil {
			return nil, err
		}
		if ok {
			recs = append(recs, rec)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Key < recs[j].Key })
	return recs, nil
}

// storeEntries lists the files of a store folder, leaving out sub-folders and
// the dot-named temp files of interrupted writes; an absent folder is empty.
func storeEntries(dir string) ([]fs.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	files := entries[:0]
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, e)
		}
	}
	return files, nil
}

// writeFileAtomic replaces path with data so that readers see either the old
// file or the new one: temp file in the same folder, fsync, rename, fsync of
// the folder. The temp file's name starts with "." and ends in ".tmp" so
// listings skip it; it is removed on every failure path.
func writeFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// writeAtomic is writeFileAtomic with the contents written by write into
// the empty temp file, so that a large file (a trial's state) is streamed
// rather than built in memory first.
func writeAtomic(path string, write func(f *os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("results: syncing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	// CreateTemp makes the file 0600; records and reports are meant to be
	// shared like any output file.
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("results: writing %s: %w", path, err)
	}
	// Make the rename itself durable. Not every platform can sync a
	// directory; the record is complete either way, so this is best effort.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// probeSize is how much CheckWritable writes: more than a record with its
// filters, so a folder too full for one fails the check.
const probeSize = 256 << 10

// CheckWritable makes dir (and its parents) and proves that a file of
// probeSize bytes can be written, synced and removed in it. A run calls it
// for its output folders before it trains anything, so that a folder that
// is not a folder, is read-only or is full is named at once instead of
// when the first finished trial cannot be saved. The error is the system's
// reason ("not a directory", "read-only file system", "no space left on
// device"), without the path, for the caller to name the folder as the
// user gave it.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return cause(err)
	}
	f, err := os.CreateTemp(dir, ".probe.*.tmp")
	if err != nil {
		return cause(err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(make([]byte, probeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return cause(err)
}

// cause strips the operation and path from a file system error.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// StaleTempAge is how old a temp file of writeFileAtomic must be before
// RemoveStaleTemps deletes it. A live writer creates, writes, syncs and
// renames its temp file within seconds; one untouched for an hour belongs to
// a process that was killed between create and rename.
const StaleTempAge = time.Hour

// RemoveStaleTemps deletes the temp files that writeFileAtomic leaves in dir
// when its process is killed mid-write (".<name>.<n>.tmp"), if they were last
// modified more than age ago, and returns how many it removed. Younger ones
// may belong to a run writing right now and are left alone. A missing dir
// holds none.
func RemoveStaleTemps(dir string, age time.Duration) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) <= age {
			continue // gone meanwhile, or maybe still being written
		}
		if err := os.Remove(filepath.Join(dir, name)); err == nil {
			n++
		}
	}
	return n, nil
}
