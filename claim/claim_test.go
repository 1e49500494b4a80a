package claim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const key = "0123456789abcdef"

// warnings collects a Dir's warnings.
type warnings struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnings) add(s string) {
	w.mu.Lock()
	w.lines = append(w.lines, s)
	w.mu.Unlock()
}

func (w *warnings) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// TestAcquireRelease: one claim at a time; a second process (another Dir)
// sees the holder; after Release the key is free again and no file is left.
func TestAcquireRelease(t *testing.T) {
	path := t.TempDir()
	a, b := &Dir{Path: path}, &Dir{Path: path}
	c, holder, err := a.Acquire(key)
	if err != nil || c == nil || holder != "" {
		t.Fatalf("first Acquire = %v, %q, %v; want a claim", c, holder, err)
	}
	host, _ := os.Hostname()
	for _, d := range []*Dir{a, b} {
		c2, holder, err := d.Acquire(key)
		if err != nil || c2 != nil {
			t.Fatalf("second Acquire = %v, %v; want the key held", c2, err)
		}
		if want := host + ":" + strconv.Itoa(os.Getpid()); holder != want {
			t.Errorf("holder %q, want %q", holder, want)
		}
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(path); len(left) != 0 {
		t.Errorf("Release left %d files", len(left))
	}
	c3, _, err := b.Acquire(key)
	if err != nil || c3 == nil {
		t.Fatalf("Acquire after Release = %v, %v; want a claim", c3, err)
	}
	c3.Release()
	if _, _, err := a.Acquire("../x"); err == nil {
		t.Error("a key that is not hex was accepted")
	}
}

// TestHeartbeatKeepsClaim: a claim renewed every beat stays live for many
// leases.
func TestHeartbeatKeepsClaim(t *testing.T) {
	path := t.TempDir()
	const lease = 150 * time.Millisecond
	a, b := &Dir{Path: path, Lease: lease}, &Dir{Path: path, Lease: lease}
	c, _, _ := a.Acquire(key)
	defer c.Release()
	deadline := time.Now().Add(6 * lease)
	for time.Now().Before(deadline) {
		if c2, _, err := b.Acquire(key); err != nil || c2 != nil {
			t.Fatalf("a renewed claim was taken over (err %v)", err)
		}
		time.Sleep(lease / 10)
	}
	select {
	case <-c.Lost():
		t.Fatalf("claim lost: %s", c.LostReason())
	default:
	}
}

// TestTakeOverAfterLease: a holder that stops renewing (a hung process;
// its beat is set far beyond the lease) is taken over once the claim has
// read the same for a lease, by exactly one of several takers; when the
// hung holder beats again it learns it lost and its Release leaves the new
// holder's claim alone.
func TestTakeOverAfterLease(t *testing.T) {
	path := t.TempDir()
	const lease = 200 * time.Millisecond
	hung := &Dir{Path: path, Lease: lease, Beat: 4 * lease}
	old, _, _ := hung.Acquire(key)
	var w warnings
	takers := make([]*Dir, 5)
	for i := range takers {
		takers[i] = &Dir{Path: path, Lease: lease, Warn: w.add}
	}
	start := time.Now()
	var won atomic.Int32
	var winner *Claim
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, d := range takers {
		wg.Go(func() {
			for time.Since(start) < 3*lease {
				c, _, err := d.Acquire(key)
				if err != nil {
					t.Error(err)
					return
				}
				if c != nil {
					won.Add(1)
					mu.Lock()
					winner = c
					mu.Unlock()
					return
				}
				time.Sleep(lease / 20)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d takers won the expired claim, want 1", won.Load())
	}
	if took := time.Since(start); took < lease {
		t.Errorf("taken over after %s, before the lease %s", took, lease)
	}
	if !strings.Contains(w.String(), "has not renewed it") {
		t.Errorf("no warning about the take-over: %q", w.String())
	}
	if winner.gen != 2 || filepath.Base(winner.path) != key+".2" {
		t.Errorf("the take-over is generation %d at %s, want 2 at %s.2", winner.gen, winner.path, key)
	}
	select {
	case <-old.Lost():
		if !strings.Contains(old.LostReason(), "taken over by") {
			t.Errorf("lost reason %q", old.LostReason())
		}
	case <-time.After(10 * lease):
		t.Fatal("the hung holder never learnt that it lost the claim")
	}
	old.Release()
	if c, _, _ := takers[0].Acquire(key); c != nil {
		t.Fatal("the old holder's Release freed the new holder's claim")
	}
	if err := winner.Release(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(path); len(left) != 0 {
		t.Errorf("the winner's Release left %d files (generations 1 and 2 should go)", len(left))
	}
}

// TestMalformedClaim: a claim that does not parse is warned about and
// treated as expired once it has stayed so for a moment, not trusted
// for its holder.
func TestMalformedClaim(t *testing.T) {
	for name, content := range map[string]string{
		"empty":     "",
		"garbage":   "\x00\x01not json",
		"other key": `{"key":"ffff","generation":1,"host":"h","pid":1,"token":"t"}`,
		"no holder": `{"key":"` + key + `","generation":1}`,
		"wrong gen": `{"key":"` + key + `","generation":3,"host":"h","pid":1,"token":"t"}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir()
			if err := os.WriteFile(filepath.Join(path, key), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			var w warnings
			d := &Dir{Path: path, Lease: 100 * time.Millisecond, Warn: w.add}
			if c, _, _ := d.Acquire(key); c != nil {
				t.Fatal("a malformed claim was taken over at first sight")
			}
			time.Sleep(120 * time.Millisecond)
			c, _, err := d.Acquire(key)
			if err != nil || c == nil {
				t.Fatalf("malformed claim not taken over after the grace: %v", err)
			}
			c.Release()
			if !strings.Contains(w.String(), "malformed") {
				t.Errorf("no warning: %q", w.String())
			}
		})
	}
}

// TestDeadProcessOnThisMachine: a claim written by a process of this
// machine that has exited is taken over at once, without waiting a lease.
func TestDeadProcessOnThisMachine(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	path := t.TempDir()
	d := &Dir{Path: path, Lease: time.Hour}
	d.init.Do(func() { d.self = thisMachine() })
	if d.self.id == "" {
		t.Skip("no boot id on this system")
	}
	in := info{Key: key, Gen: 1, Host: d.self.host, PID: cmd.Process.Pid, Machine: d.self.id, Token: "x"}
	if err := os.WriteFile(filepath.Join(path, key), in.encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	var w warnings
	d.Warn = w.add
	c, holder, err := d.Acquire(key)
	if err != nil || c == nil {
		t.Fatalf("claim of an exited process not taken over: holder %q, %v", holder, err)
	}
	c.Release()
	if !strings.Contains(w.String(), "is gone") {
		t.Errorf("warning %q does not say the process is gone", w.String())
	}
	// The same claim naming a live process (this one) is respected.
	in.PID = os.Getpid()
	os.WriteFile(filepath.Join(path, key), in.encode(), 0o644)
	if c, _, _ := d.Acquire(key); c != nil {
		t.Error("the claim of a live process was taken over")
	}
}

// TestContention: 8 processes' worth of Dirs hammer one key; at no moment
// do two hold it.
func TestContention(t *testing.T) {
	path := t.TempDir()
	var holders, maxHolders, acquired atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		d := &Dir{Path: path, Lease: time.Minute}
		wg.Go(func() {
			for range 200 {
				c, _, err := d.Acquire(key)
				if err != nil {
					t.Error(err)
					return
				}
				if c == nil {
					continue
				}
				acquired.Add(1)
				n := holders.Add(1)
				for {
					m := maxHolders.Load()
					if n <= m || maxHolders.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(50 * time.Microsecond)
				holders.Add(-1)
				if err := c.Release(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if maxHolders.Load() != 1 || acquired.Load() == 0 {
		t.Errorf("at most %d holders at once over %d claims, want exactly 1", maxHolders.Load(), acquired.Load())
	}
}
