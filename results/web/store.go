package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipe-ml/pipe/results"
)

// store reads a trial store that a pipe run may be writing to while the
// server reads it: every call lists the folder again, decodes only the
// records whose size or modification time changed, and reports unreadable
// ones instead of failing, so a corrupt or half-copied record costs one
// warning, not the page.
type store struct {
	cache *results.Cache
	dir   string

	mu   sync.Mutex
	seen map[string]storeEntry // by key
}

type storeEntry struct {
	size int64
	mod  time.Time
	rec  results.Record
	err  error
}

func newStore(root string) *store {
	return &store{cache: &results.Cache{Dir: root}, dir: filepath.Join(root, results.TrialsDir), seen: map[string]storeEntry{}}
}

// snapshot is the store as one listing saw it.
type snapshot struct {
	recs  []results.Record // sorted by key
	bad   []error
	stamp string // changes whenever a record appears, changes or goes
	byKey map[string]results.Record
}

// list reads the store.
func (s *store) list() snapshot {
	snap := snapshot{byKey: map[string]results.Record{}}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !os.IsNotExist(err) {
		snap.bad = append(snap.bad, err)
	}
	h := sha256.New()
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since the listing
		}
		key := strings.TrimSuffix(name, ".json")
		fmt.Fprintf(h, "%s %d %d\n", key, info.Size(), info.ModTime().UnixNano())
		keep[key] = true
		ent, ok := s.seen[key]
		if !ok || ent.size != info.Size() || !ent.mod.Equal(info.ModTime()) {
			ent = storeEntry{size: info.Size(), mod: info.ModTime()}
			rec, found, err := s.cache.Get(key)
			switch {
			case err != nil:
				ent.err = err
			case !found:
				continue // removed since the listing
			default:
				ent.rec = rec
			}
			s.seen[key] = ent
		}
		if ent.err != nil {
			snap.bad = append(snap.bad, ent.err)
			continue
		}
		snap.recs = append(snap.recs, ent.rec)
		snap.byKey[key] = ent.rec
	}
	for k := range s.seen {
		if !keep[k] {
			delete(s.seen, k)
		}
	}
	sort.Slice(snap.recs, func(i, j int) bool { return snap.recs[i].Key < snap.recs[j].Key })
	snap.stamp = hex.EncodeToString(h.Sum(nil)[:8])
	return snap
}

// Get implements results.Getter over the snapshot.
func (s snapshot) Get(key string) (results.Record, bool, error) {
	r, ok := s.byKey[key]
	return r, ok, nil
}

// resolve finds the record whose key is key or starts with it (at least 4
// hex digits, and only one record may match).
func (s snapshot) resolve(key string) (results.Record, error) {
	if r, ok := s.byKey[key]; ok {
		return r, nil
	}
	return Resolve(s.recs, key)
}

// Resolve returns the one record of recs whose key starts with prefix (at
// least 4 characters), or an error saying none or several do.
func Resolve(recs []results.Record, prefix string) (results.Record, error) {
	if len(prefix) < 4 {
		return results.Record{}, fmt.Errorf("trial key %q is too short: give at least 4 of its hex digits", prefix)
	}
	var found []results.Record
	for _, r := range recs {
		if strings.HasPrefix(r.Key, prefix) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 0:
		return results.Record{}, fmt.Errorf("no trial has a key starting with %q", prefix)
	case 1:
		return found[0], nil
	}
	return results.Record{}, fmt.Errorf("trial key %q is ambiguous: %d trials start with it (%s, %s, ...)", prefix, len(found), found[0].Key, found[1].Key)
}
