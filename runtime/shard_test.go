package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, s := range []string{"1/1", "1/3", "3/3", "12/40"} {
		sh, err := ParseShard(s)
		if err != nil || sh.String() != s || !sh.Enabled() {
			t.Errorf("ParseShard(%q) = %v, %v; want it back", s, sh, err)
		}
	}
	for _, s := range []string{"", "x", "0/3", "4/3", "1/0", "0/0", "-1/3", "1/-3", "1/", "/3", "1/3/5", "a/b", "1.5/3"} {
		if sh, err := ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) = %v, want an error", s, sh)
		}
	}
	if (Shard{}).Enabled() {
		t.Error("the zero Shard must be disabled")
	}
}

// TestShardDeal: over a pipeline of several groups (overlapping, with
// duplicates, partly cached), every unique trial is dealt to exactly one
// of n shards, the shards' shares differ by at most one, and the split
// does not depend on what the store held when each shard started.
func TestShardDeal(t *testing.T) {
	groups := [][]uint64{{1, 2, 3, 4, 5}, {3, 6, 7, 7}, {8}, {1, 9, 10, 11, 12, 13, 14}}
	unique := 14
	for n := 1; n <= 5; n++ {
		owner := map[string]int{}
		for i := 1; i <= n; i++ {
			for _, warm := range []bool{false, true} {
				store := newMemStore()
				ft := &fakeTrain{}
				if warm { // some trials cached before this shard started
					if _, err := (&Scheduler{Store: store, Train: ft.train}).Run(context.Background(), "warm", jobs(2, 7, 13)); err != nil {
						t.Fatal(err)
					}
				}
				s := &Scheduler{Store: store, Train: ft.train, Shard: Shard{Index: i, Count: n}}
				mine := 0
				for _, g := range groups {
					if _, err := s.Run(context.Background(), "g", jobs(g...)); err != nil {
						t.Fatal(err)
					}
				}
				for k := range s.dealt {
					if s.owns(k) {
						mine++
						if o, ok := owner[k]; ok && o != i {
							t.Fatalf("%d shards: key %s dealt to shards %d and %d", n, k, o, i)
						}
						owner[k] = i
					}
				}
				if len(s.dealt) != unique {
					t.Errorf("%d shards: %d keys dealt, want %d", n, len(s.dealt), unique)
				}
				if lo, hi := unique/n, (unique+n-1)/n; mine < lo || mine > hi {
					t.Errorf("shard %d/%d (warm %v) owns %d of %d trials, want %d..%d", i, n, warm, mine, unique, lo, hi)
				}
			}
		}
		if len(owner) != unique {
			t.Errorf("%d shards own %d distinct trials together, want %d", n, len(owner), unique)
		}
	}
}

// TestSchedulerShards: shards sharing a store each train only their own
// uncached trials and return placeholders for the others; together they
// train every trial once, after which a plain run finds all of them cached.
func TestSchedulerShards(t *testing.T) {
	store := newMemStore()
	ft := &fakeTrain{}
	js := jobs(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1)
	// One trial was cached before the shards ran.
	if _, err := (&Scheduler{Store: store, Train: ft.train}).Run(context.Background(), "warm", js[:1]); err != nil {
		t.Fatal(err)
	}
	const n = 3
	trained := map[string]int{}
	for i := 1; i <= n; i++ {
		sh := Shard{Index: i, Count: n}
		var out strings.Builder
		obs := newRecObserver()
		before := ft.count()
		// The shards run one after the other here, so each finds the
		// earlier shards' trials cached, as a late array task would.
		wasCached := map[string]bool{}
		for k := range store.recs {
			wasCached[k] = true
		}
		s := &Scheduler{Store: store, Train: ft.train, Shard: sh, Out: &out, Observer: obs}
		recs, err := s.Run(context.Background(), "g", js)
		if err != nil {
			t.Fatal(err)
		}
		mine, others, cached := 0, 0, 0
		seen := map[string]bool{}
		for j, r := range recs {
			key := js[j].Trial.Key()
			if r.Key != key || r.Trial.Train.Seed != js[j].Trial.Train.Seed {
				t.Errorf("shard %v: record %d is not its job's", sh, j)
			}
			if seen[key] {
				continue // the duplicate of seed 1
			}
			seen[key] = true
			switch {
			case wasCached[key]:
				cached++
				if r.Result.Status != "ok" {
					t.Errorf("shard %v: the cached trial came back %q", sh, r.Result.Status)
				}
			case s.owns(key):
				if r.Result.Status != "ok" {
					t.Errorf("shard %v: own trial %s came back %q, want trained", sh, js[j].Label, r.Result.Status)
				}
				trained[key]++
				mine++
			default:
				if r.Result.Status != StatusNotRun {
					t.Errorf("shard %v: other shard's trial %s came back %q, want %q", sh, js[j].Label, r.Result.Status, StatusNotRun)
				}
				others++
			}
		}
		if ft.count()-before != mine {
			t.Errorf("shard %v trained %d trials, want its %d", sh, ft.count()-before, mine)
		}
		want := GroupInfo{Name: "g", Trials: len(js), Cached: cached, ToTrain: mine, Shard: sh, OtherShards: others}
		if obs.groups[0] != want {
			t.Errorf("shard %v: group %+v, want %+v", sh, obs.groups[0], want)
		}
		if _, total := s.Progress(); total != cached+mine {
			t.Errorf("shard %v: progress total %d, want %d (its own and the cached trials)", sh, total, cached+mine)
		}
		if i == 1 && others == 0 {
			t.Errorf("shard 1/%d left nothing to the other shards; the test proves nothing", n)
		}
		if !strings.HasPrefix(out.String(), fmt.Sprintf("g: shard %v: %d ", sh, mine)) ||
			!strings.Contains(out.String(), fmt.Sprintf("trained, %d belong", others)) ||
			!strings.HasSuffix(out.String(), fmt.Sprintf("other shards, %d cached\n", cached)) {
			t.Errorf("shard %v summary %q does not say %d trained, %d in other shards, %d cached", sh, out.String(), mine, others, cached)
		}
	}
	if len(trained) != 9 {
		t.Errorf("the shards trained %d distinct trials, want the 9 uncached", len(trained))
	}
	for k, c := range trained {
		if c != 1 {
			t.Errorf("trial %s trained by %d shards, want 1", k, c)
		}
	}
	obs := newRecObserver()
	before := ft.count()
	if _, err := (&Scheduler{Store: store, Train: ft.train, Observer: obs}).Run(context.Background(), "g", js); err != nil {
		t.Fatal(err)
	}
	if ft.count() != before || obs.groups[0].Cached != 10 {
		t.Errorf("after all shards a plain run trained %d and found %d cached, want 0 and 10", ft.count()-before, obs.groups[0].Cached)
	}
}

// TestRunShardRendersNothing: a shard run prints its closing line, writes no
// manifest and the builtins see check mode; a later plain run is complete.
func TestRunShardRendersNothing(t *testing.T) {
	dir := writeFiles(t, map[string]string{"p.star": "print(trials([1, 2, 3, 4, 5, 6]))\n"})
	chdir(t, dir)
	store := newMemStore()
	for i := 1; i <= 2; i++ {
		out, err := runFile(t, "p.star", Options{Store: store, Shard: Shard{Index: i, Count: 2}, OutDir: "out"})
		if err != nil {
			t.Fatal(err)
		}
		// Shard 1 sees placeholders for shard 2's trials; shard 2 then
		// finds shard 1's cached.
		if i == 1 && !strings.Contains(out, string(StatusNotRun)) || !strings.Contains(out, fmt.Sprintf("shard %d/2 done", i)) || !strings.Contains(out, "without --shard") {
			t.Errorf("shard %d/2 printed %q; want placeholders and the closing line", i, out)
		}
		if _, err := os.Stat(filepath.Join("out", "manifest.json")); err == nil {
			t.Errorf("shard %d/2 wrote a manifest", i)
		}
	}
	ft := &fakeTrain{}
	out, err := runFile(t, "p.star", Options{Store: store, Train: ft.train, OutDir: "out"})
	if err != nil {
		t.Fatal(err)
	}
	if ft.count() != 0 || strings.Contains(out, string(StatusNotRun)) || strings.Contains(out, "shard") {
		t.Errorf("plain run after both shards trained %d trials and printed %q; want all cached", ft.count(), out)
	}
	if _, err := os.Stat(filepath.Join("out", "manifest.json")); err != nil {
		t.Errorf("plain run wrote no manifest: %v", err)
	}
}
