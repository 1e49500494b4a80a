package runtime

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is the part i of n of a pipeline's trials that one `pipe run
// --shard i/n` trains. Shards share nothing but the trial store, so the
// split must follow from the pipeline alone: the Scheduler deals each
// sweep's new trial keys, sorted, round-robin over the shards, cached
// trials included (see Scheduler.deal), so every shard computes the same
// split and shards differ by at most one trial. The zero Shard is no
// sharding.
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
