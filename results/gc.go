package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Usage is how much of the store one kind of file takes.
type Usage struct {
	Kind  string // TrialsDir, StatesDir, WeightsDir or ClaimsDir-like folders
	Files int
	Bytes int64
}

// storeFile is one file of the store, for accounting and pruning.
type storeFile struct {
	kind, path string
	size       int64
	mod        time.Time
}

// storeKinds are the folders of the store that Usage counts, in the order
// pipe du prints them.
var storeKinds = []string{TrialsDir, StatesDir, WeightsDir}

// files lists the files of kind, skipping temp files of interrupted writes.
func (c *Cache) files(kind string) ([]storeFile, error) {
	dir := filepath.Join(c.root(), kind)
	entries, err := storeEntries(dir)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	var out []storeFile
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, storeFile{kind: kind, path: filepath.Join(dir, e.Name()), size: info.Size(), mod: info.ModTime()})
	}
	return out, nil
}

// Usage returns the files and bytes of records, states and weights.
func (c *Cache) Usage() ([]Usage, error) {
	var out []Usage
	for _, k := range storeKinds {
		list, err := c.files(k)
		if err != nil {
			return nil, err
		}
		u := Usage{Kind: k, Files: len(list)}
		for _, f := range list {
			u.Bytes += f.size
		}
		out = append(out, u)
	}
	return out, nil
}

// Pruned is one artifact file Prune removed.
type Pruned struct {
	Kind, Path string
	Bytes      int64
}

// Prune removes artifacts, never records. keep is WeightsDir (remove
// states only) or TrialsDir (remove states and weights). With maxSize ≤ 0
// every removable file goes; otherwise removable files go oldest first
// (by modification time) until the store (records included) holds at most
// maxSize bytes. It returns what it removed, in that order.
func (c *Cache) Prune(keep string, maxSize int64) ([]Pruned, error) {
	kinds := []string{StatesDir}
	switch keep {
	case WeightsDir:
	case TrialsDir:
		kinds = append(kinds, WeightsDir)
	default:
		return nil, fmt.Errorf("results: prune keeping %q: want %q or %q", keep, WeightsDir, TrialsDir)
	}
	usage, err := c.Usage()
	if err != nil {
		return nil, err
	}
	var total int64
	for _, u := range usage {
		total += u.Bytes
	}
	var cand []storeFile
	for _, k := range kinds {
		list, err := c.files(k)
		if err != nil {
			return nil, err
		}
		cand = append(cand, list...)
	}
	sort.SliceStable(cand, func(i, j int) bool {
		if !cand[i].mod.Equal(cand[j].mod) {
			return cand[i].mod.Before(cand[j].mod)
		}
		return cand[i].path < cand[j].path
	})
	var out []Pruned
	for _, f := range cand {
		if maxSize > 0 && total <= maxSize {
			break
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return out, fmt.Errorf("results: %w", err)
		}
		total -= f.size
		out = append(out, Pruned{Kind: f.kind, Path: f.path, Bytes: f.size})
	}
	return out, nil
}
