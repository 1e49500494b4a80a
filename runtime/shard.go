package runtime

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is the part i of n of every sweep that one `pipe run --shard i/n`
// trains. Shards share nothing but the trial store, so which shard owns a
// trial must follow from the trial's key alone: every shard then agrees on
// the split without talking to the others, whatever order the trials come in
// and whichever pipelines each shard runs. The zero Shard is no sharding: it
// owns every trial.
type Shard struct {
	Index int // 1-based, 1 <= Index <= Count
	Count int // 0 means no sharding
}

// ParseShard parses "i/n" with 1 <= i <= n.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("want i/n (shard i of n, 1 <= i <= n), got %q", s)
	}
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	switch {
	case err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("want i/n with whole numbers i and n, got %q", s)
	case n < 1:
		return Shard{}, fmt.Errorf("the shard count n must be at least 1, got %q", s)
	case i < 1 || i > n:
		return Shard{}, fmt.Errorf("the shard index i must be between 1 and n, got %q", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Enabled reports whether the run is split at all.
func (s Shard) Enabled() bool { return s.Count > 0 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Owns reports whether the trial with this cache key is trained by shard s:
// its first 8 hex digits, read as a number, modulo Count is Index-1. Keys
// are SHA-256 prefixes, so shards get near-equal shares of any sweep. A key
// that is not hex (only tests make those) is hashed with FNV-1a instead, so
// that Owns still partitions every string.
func (s Shard) Owns(key string) bool {
	if !s.Enabled() {
		return true
	}
	return shardOf(key, s.Count) == s.Index-1
}

// shardOf is the 0-based shard of key among n.
func shardOf(key string, n int) int {
	if len(key) >= 8 {
		if v, err := strconv.ParseUint(key[:8], 16, 32); err == nil {
			return int(v % uint64(n))
		}
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}
