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
	Kind  string // TrialsDir, StatesDir, WeightsDir or EvalsDir
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
var storeKinds = []string{TrialsDir, StatesDir, WeightsDir, EvalsDir}

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

// Usage returns the files and bytes of records, states, weights and
// evaluations.
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

// Prune removes artifacts of finished trials, never records. keep is
// WeightsDir (remove states only) or TrialsDir (remove states and weights).
// With maxSize ≤ 0 every removable file goes; otherwise removable files go
// oldest first (by modification time) until the store (records included)
// holds at most maxSize bytes. It returns what it removed, in that order,
// and how many files it left because their trial has no record: the state
// of an unfinished trial is its checkpoint (an interrupted run resumes from
// it, a running one is writing it), so removing it would throw work away
// rather than free a finished trial's leftovers.
func (c *Cache) Prune(keep string, maxSize int64) (removed []Pruned, unfinished int, err error) {
	kinds := []string{StatesDir}
	switch keep {
	case WeightsDir:
	case TrialsDir:
		kinds = append(kinds, WeightsDir)
	default:
		return nil, 0, fmt.Errorf("results: prune keeping %q: want %q or %q", keep, WeightsDir, TrialsDir)
	}
	usage, err := c.Usage()
	if err != nil {
		return nil, 0, err
	}
	var total int64
	for _, u := range usage {
		total += u.Bytes
	}
	records, err := c.files(TrialsDir)
	if err != nil {
		return nil, 0, err
	}
	finished := make(map[string]bool, len(records))
	for _, r := range records {
		finished[trialOf(r.path)] = true
	}
	var cand []storeFile
	for _, k := range kinds {
		list, err := c.files(k)
		if err != nil {
			return nil, 0, err
		}
		for _, f := range list {
			if finished[trialOf(f.path)] {
				cand = append(cand, f)
			} else {
				unfinished++
			}
		}
	}
	sort.SliceStable(cand, func(i, j int) bool {
		if !cand[i].mod.Equal(cand[j].mod) {
			return cand[i].mod.Before(cand[j].mod)
		}
		return cand[i].path < cand[j].path
	})
	for _, f := range cand {
		if maxSize > 0 && total <= maxSize {
			break
		}
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, unfinished, fmt.Errorf("results: %w", err)
		}
		total -= f.size
		removed = append(removed, Pruned{Kind: f.kind, Path: f.path, Bytes: f.size})
	}
	return removed, unfinished, nil
}

// trialOf is the trial key a store file is named after.
func trialOf(path string) string {
	base := filepath.Base(path)
	return base[:len(base)-len(filepath.Ext(base))]
}
