package results

// This file is the progress file a running pipe run keeps per trial it is
// training, under <root>/live/<key>.json, for pipe serve to show: the run
// writes it (atomically, a few times a second at most) and removes it when
// the trial ends, whether it finished, failed or was interrupted.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LiveDir is the sub-folder of the output root (beside TrialsDir) holding
// the progress files of trials being trained right now.
const LiveDir = "live"

// MaxLiveCurve bounds the loss curve a progress file carries (see Live).
const MaxLiveCurve = 200

// Live is the progress of one trial being trained.
type Live struct {
	Key      string  `json:"key"`
	Pipeline string  `json:"pipeline"` // the file pipe run was given
	Group    string  `json:"group"`    // the sweep or train label
	Label    string  `json:"label"`    // the trial's settings, as progress lines name it
	PID      int     `json:"pid"`      // the pipe run process
	Started  string  `json:"started"`  // RFC 3339
	Updated  string  `json:"updated"`  // RFC 3339, the last write
	Epoch    int     `json:"epoch"`
	Epochs   int     `json:"epochs"`
	Iter     int     `json:"iter"`
	Iters    int     `json:"iters"`
	Loss     float64 `json:"loss"` // NaN and ±Inf are written as strings, as in records
	// Curve is the training loss so far as (iteration, loss) pairs, thinned
	// to at most MaxLiveCurve points so the file stays small.
	Curve [][2]float64 `json:"curve"`
}

// liveAlias has Live's fields without its methods.
type liveAlias Live

// liveJSON shadows Live's floats with NaN-safe ones.
type liveJSON struct {
	*liveAlias
	Loss  jsonFloat      `json:"loss"`
	Curve [][2]jsonFloat `json:"curve"`
}

// MarshalJSON keeps a diverged trial's NaN loss as a string.
func (l Live) MarshalJSON() ([]byte, error) {
	aux := liveJSON{liveAlias: (*liveAlias)(&l), Loss: jsonFloat(l.Loss), Curve: make([][2]jsonFloat, len(l.Curve))}
	for i, p := range l.Curve {
		aux.Curve[i] = [2]jsonFloat{jsonFloat(p[0]), jsonFloat(p[1])}
	}
	return json.Marshal(aux)
}

// UnmarshalJSON is the inverse of MarshalJSON.
func (l *Live) UnmarshalJSON(b []byte) error {
	aux := liveJSON{liveAlias: (*liveAlias)(l)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	l.Loss = float64(aux.Loss)
	l.Curve = make([][2]float64, len(aux.Curve))
	for i, p := range aux.Curve {
		l.Curve[i] = [2]float64{float64(p[0]), float64(p[1])}
	}
	return nil
}

// livePath is the progress file of key under the output root.
func livePath(root, key string) string {
	return filepath.Join(root, LiveDir, key+".json")
}

// WriteLive writes l as <root>/live/<l.Key>.json. It replaces the file by a
// rename, so a reader sees the old or the new one, but does not sync it to
// disk: a progress file is worthless after a crash.
func WriteLive(root string, l Live) error {
	if !validKey(l.Key) {
		return fmt.Errorf("results: progress file for invalid key %q", l.Key)
	}
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("results: encoding progress of %s: %w", l.Key, err)
	}
	dir := filepath.Join(root, LiveDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+l.Key+".*.tmp")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644), os.Rename(f.Name(), livePath(root, l.Key))); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("results: writing progress of %s: %w", l.Key, err)
	}
	return nil
}

// RemoveLive removes the progress file of key, if there is one.
func RemoveLive(root, key string) error {
	if !validKey(key) {
		return nil
	}
	if err := os.Remove(livePath(root, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// ReadLive returns the progress files under root, sorted by pipeline, group
// and label. A file that cannot be read or decoded (being replaced, or
// corrupt) is skipped and reported in bad; an absent folder holds none.
func ReadLive(root string) (live []Live, bad []error) {
	dir := filepath.Join(root, LiveDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{fmt.Errorf("results: %w", err)}
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // finished since the listing
		}
		var l Live
		if err == nil {
			err = json.Unmarshal(b, &l)
		}
		if err == nil && (l.Key != strings.TrimSuffix(name, ".json")) {
			err = fmt.Errorf("holds key %q", l.Key)
		}
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %v", path, err))
			continue
		}
		live = append(live, l)
	}
	sort.Slice(live, func(i, j int) bool {
		a, b := live[i], live[j]
		if a.Pipeline != b.Pipeline {
			return a.Pipeline < b.Pipeline
		}
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Label != b.Label {
			return a.Label < b.Label
		}
		return a.Key < b.Key
	})
	return live, bad
}

// AddPoint appends (iter, loss) to l.Curve, halving the curve's resolution
// whenever it would exceed MaxLiveCurve points; every is the iteration
// stride the curve currently keeps (start with 1), returned updated.
func (l *Live) AddPoint(iter int, loss float64, every int) int {
	if every < 1 {
		every = 1
	}
	if iter%every != 0 {
		return every
	}
	l.Curve = append(l.Curve, [2]float64{float64(iter), loss})
	if len(l.Curve) > MaxLiveCurve {
		every *= 2
		kept := l.Curve[:0]
		for _, p := range l.Curve {
			if int(p[0])%every == 0 {
				kept = append(kept, p)
			}
		}
		l.Curve = kept
	}
	return every
}
