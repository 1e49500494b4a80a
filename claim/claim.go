// Package claim decides which process trains a trial when several pipe
// processes — on one machine or on many sharing the output root — run the
// same sweeps. The filesystem is the only meeting point: a process trains a
// trial only while it holds the trial's claim, a small file in the claims
// folder beside the trial store.
//
// The protocol relies on three properties of the shared filesystem, which
// local filesystems and NFSv3+ (and the usual Kubernetes ReadWriteMany
// volumes) have: a file created with O_CREATE|O_EXCL is created by exactly
// one of the processes racing for it; a file written and closed by one
// client is seen by the next open of another (close-to-open consistency);
// a rename within one folder is atomic (the record store's writes).
//
//   - claims/<key> is created with O_EXCL and holds who holds it (host,
//     pid, a random token) and a heartbeat counter that the holder rewrites
//     while it trains.
//   - A claim whose content has not changed for a whole lease, timed on the
//     reader's own monotonic clock, is expired: no clocks of two machines
//     are ever compared. On the holder's own machine a claim whose process
//     is gone is expired at once.
//   - An expired claim is taken over by creating the next generation,
//     claims/<key>.2 (then .3, ...), again with O_EXCL: of several takers
//     exactly one wins, and the old holder, if it was only slow, sees the
//     newer generation at its next heartbeat and stops.
//   - Claiming does not say whether the trial still needs training: the
//     caller re-checks the trial store after a successful Acquire, and a
//     holder writes its record before it releases.
package claim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DirName is the claims folder inside the output root, beside trials/.
const DirName = "claims"

// DefaultLease is how long a claim may go without a heartbeat before
// another process takes it over: long enough for a loaded machine or a slow
// network filesystem to miss several beats, short enough that a killed
// worker's trial is picked up within minutes.
const DefaultLease = 3 * time.Minute

// beatsPerLease is how many heartbeats a holder writes per lease.
const beatsPerLease = 6

// malformedGrace is how long a claim that does not parse must stay the same
// before it is treated as expired: a holder fills its claim right after
// creating it, so a reader can catch it empty for a moment.
const malformedGrace = time.Second

// fileSize is the size every claim file is padded to, so that a heartbeat
// rewrites it in place without truncating it first.
const fileSize = 512

// Dir is the claims folder of one output root. Its methods are safe for
// concurrent use; one Dir should serve a whole process, because it
// remembers since when each claim it has seen has not changed.
type Dir struct {
	Path  string        // the folder, <root>/claims; created on first use
	Lease time.Duration // 0 means DefaultLease
	// Beat is the heartbeat period; 0 means Lease/6. Tests set it beyond
	// the lease to play a holder that hangs.
	Beat time.Duration
	// Warn receives one line for each claim taken over and each malformed
	// claim; nil discards them.
	Warn func(msg string)

	mu   sync.Mutex
	seen map[string]sighting // by claim file name
	self machine
	init sync.Once
}

// sighting is a claim file's content and when this process first read it
// so, on its monotonic clock.
type sighting struct {
	content []byte
	since   time.Time
}

// info is a claim file's content.
type info struct {
	Key     string `json:"key"`
	Gen     int    `json:"generation"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Machine string `json:"machine"` // boot and PID namespace: whether PID means the same process here
	Token   string `json:"token"`
	Beat    int64  `json:"beat"`
	Started string `json:"started"` // RFC 3339, for people reading the file
	Renewed string `json:"renewed"`
}

// holder names the process holding a claim, for messages.
func (in info) holder() string { return in.Host + ":" + strconv.Itoa(in.PID) }

// Claim is a claim this process holds. Release it when done, after the
// trial's record is saved (or the training failed).
type Claim struct {
	dir  *Dir
	path string
	gen  int
	info info

	stop, stopped chan struct{}
	lost          chan struct{}
	lostOnce      sync.Once
	lostWhy       string
	lostMu        sync.Mutex
}

func (d *Dir) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return DefaultLease
}

func (d *Dir) beat() time.Duration {
	if d.Beat > 0 {
		return d.Beat
	}
	return max(d.lease()/beatsPerLease, time.Millisecond)
}

func (d *Dir) warn(format string, args ...any) {
	if d.Warn != nil {
		d.Warn(fmt.Sprintf(format, args...))
	}
}

// name is the file of generation gen of key's claim.
func (d *Dir) name(key string, gen int) string {
	if gen == 1 {
		return filepath.Join(d.Path, key)
	}
	return filepath.Join(d.Path, key+"."+strconv.Itoa(gen))
}

// validKey accepts trial keys (lower-case hex), which keeps claim names
// inside the folder.
func validKey(key string) bool {
	if key == "" || len(key) > 128 {
		return false
	}
	for _, c := range key {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Acquire tries to claim key for this process. It returns the claim, or a
// nil claim and the holder ("host:pid") when another process holds a live
// claim. An error is a filesystem failure (the folder cannot be created or
// read), not contention.
func (d *Dir) Acquire(key string) (*Claim, string, error) {
	if !validKey(key) {
		return nil, "", fmt.Errorf("claim: invalid trial key %q", key)
	}
	d.init.Do(func() { d.self = thisMachine() })
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return nil, "", fmt.Errorf("claim: %w", err)
	}
	// Each round either creates a generation or meets a live holder; a
	// lost race for a generation means another process just claimed it,
	// and the next round judges that claim, which is fresh, as live.
	for range 4 {
		gen, content, err := d.current(key)
		if err != nil {
			return nil, "", err
		}
		if gen > 0 {
			if holder, live := d.judge(key, gen, content); live {
				return nil, holder, nil
			}
		}
		c, err := d.create(key, gen+1)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return c, "", nil
	}
	return nil, "another process", nil
}

// current returns the newest generation of key's claim and its content, or
// generation 0 when there is none. Generations are probed upwards from 1
// and the first missing one ends the search: a holder releasing removes
// its generation before the older ones, so a gap only ever leaves an older
// claim visible, which at worst costs a re-check of the store.
func (d *Dir) current(key string) (int, []byte, error) {
	gen := 0
	var content []byte
	for g := 1; ; g++ {
		b, err := os.ReadFile(d.name(key, g))
		if errors.Is(err, fs.ErrNotExist) {
			return gen, content, nil
		}
		if err != nil {
			return 0, nil, fmt.Errorf("claim: %w", err)
		}
		gen, content = g, b
	}
}

// judge reports whether generation gen of key's claim, read as content, is
// live, and who holds it.
func (d *Dir) judge(key string, gen int, content []byte) (holder string, live bool) {
	name := d.name(key, gen)
	now := time.Now()
	d.mu.Lock()
	if d.seen == nil {
		d.seen = map[string]sighting{}
	}
	s, ok := d.seen[name]
	if !ok || !bytes.Equal(s.content, content) {
		s = sighting{content: bytes.Clone(content), since: now}
		d.seen[name] = s
	}
	d.mu.Unlock()
	unchanged := now.Sub(s.since)

	in, err := parse(content, key, gen)
	if err != nil {
		if unchanged < min(d.lease(), malformedGrace) {
			return "another process", true
		}
		d.warn("claim %s is malformed (%v); treating it as expired", name, err)
		return "", false
	}
	if in.Machine != "" && in.Machine == d.self.id && in.Host == d.self.host && !processAlive(in.PID) {
		d.warn("taking over %s: its process %s is gone", name, in.holder())
		return "", false
	}
	if unchanged >= d.lease() {
		d.warn("taking over %s: %s has not renewed it for %s (lease %s)", name, in.holder(), unchanged.Round(time.Millisecond), d.lease())
		return "", false
	}
	return in.holder(), true
}

// parse checks a claim file's content: it must be the claim of key at
// generation gen, naming a holder.
func parse(content []byte, key string, gen int) (info, error) {
	var in info
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return info{}, err
	}
	switch {
	case in.Key != key:
		return info{}, fmt.Errorf("it names key %q", in.Key)
	case in.Gen != gen:
		return info{}, fmt.Errorf("it says generation %d", in.Gen)
	case in.Host == "" || in.PID <= 0 || in.Token == "":
		return info{}, errors.New("no holder")
	}
	return in, nil
}

// encode is in's file content, padded to fileSize.
func (in info) encode() []byte {
	b, _ := json.Marshal(in) // plain strings and numbers: cannot fail
	b = append(b, '\n')
	if len(b) < fileSize {
		b = append(b, bytes.Repeat([]byte{' '}, fileSize-len(b))...)
	}
	return b
}

// create makes generation gen of key's claim with O_EXCL; fs.ErrExist means
// another process created it first.
func (d *Dir) create(key string, gen int) (*Claim, error) {
	token := make([]byte, 8)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	c := &Claim{
		dir:  d,
		path: d.name(key, gen),
		gen:  gen,
		info: info{Key: key, Gen: gen, Host: d.self.host, PID: os.Getpid(), Machine: d.self.id,
			Token: hex.EncodeToString(token), Started: now, Renewed: now},
		stop: make(chan struct{}), stopped: make(chan struct{}), lost: make(chan struct{}),
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("claim: %w", err)
	}
	_, err = f.Write(c.info.encode())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(c.path)
		return nil, fmt.Errorf("claim: writing %s: %w", c.path, err)
	}
	go c.heartbeat()
	return c, nil
}

// Lost is closed when a heartbeat finds that another process has taken the
// claim over (this one was judged dead); the trial is then theirs to train.
func (c *Claim) Lost() <-chan struct{} { return c.lost }

// LostReason says why the claim was lost, once Lost is closed.
func (c *Claim) LostReason() string {
	c.lostMu.Lock()
	defer c.lostMu.Unlock()
	return c.lostWhy
}

func (c *Claim) markLost(why string) {
	c.lostOnce.Do(func() {
		c.lostMu.Lock()
		c.lostWhy = why
		c.lostMu.Unlock()
		close(c.lost)
	})
}

func (c *Claim) isLost() bool {
	select {
	case <-c.lost:
		return true
	default:
		return false
	}
}

func (c *Claim) heartbeat() {
	defer close(c.stopped)
	t := time.NewTicker(c.dir.beat())
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if why := c.renew(); why != "" {
				c.markLost(why)
				return
			}
		}
	}
}

// renew checks that the claim is still this process's and bumps its
// heartbeat. It returns why the claim is lost, or "" (also after a write
// error, which a later beat may get past: only a claim that another process
// provably holds is lost).
func (c *Claim) renew() string {
	if why := c.supersededBy(); why != "" {
		return why
	}
	c.info.Beat++
	c.info.Renewed = time.Now().UTC().Format(time.RFC3339)
	f, err := os.OpenFile(c.path, os.O_WRONLY, 0) // never re-create a removed claim
	if errors.Is(err, fs.ErrNotExist) {
		return "its file was removed"
	}
	if err != nil {
		c.dir.warn("renewing claim %s: %v", c.path, err)
		return ""
	}
	if _, err := f.WriteAt(c.info.encode(), 0); err != nil {
		c.dir.warn("renewing claim %s: %v", c.path, err)
	}
	if err := f.Close(); err != nil {
		c.dir.warn("renewing claim %s: %v", c.path, err)
	}
	return ""
}

// supersededBy returns why the claim is no longer this process's, or "".
func (c *Claim) supersededBy() string {
	if b, err := os.ReadFile(c.dir.name(c.info.Key, c.gen+1)); err == nil {
		if in, err := parse(b, c.info.Key, c.gen+1); err == nil {
			return "taken over by " + in.holder()
		}
		return "taken over by another process"
	}
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "its file was removed"
	}
	if err != nil {
		return ""
	}
	if in, err := parse(b, c.info.Key, c.gen); err == nil && in.Token != c.info.Token {
		return "taken over by " + in.holder()
	}
	return ""
}

// Release stops the heartbeat and, unless the claim was lost, removes it
// and the expired generations it superseded, newest first. Call it after
// the trial's record is saved, so that a process that claims the trial next
// finds the record.
func (c *Claim) Release() error {
	close(c.stop)
	<-c.stopped
	if c.isLost() || c.supersededBy() != "" {
		return nil // the files are the new holder's
	}
	var first error
	for g := c.gen; g >= 1; g-- {
		if err := os.Remove(c.dir.name(c.info.Key, g)); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = fmt.Errorf("claim: releasing: %w", err)
		}
	}
	return first
}

// machine identifies this process's host and PID namespace, so that a
// claim's PID is checked only where it names the same process.
type machine struct {
	host string
	id   string // "" when unknown: no PID checks
}

func thisMachine() machine {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	m := machine{host: host}
	boot, err1 := os.ReadFile("/proc/sys/kernel/random/boot_id")
	ns, err2 := os.Readlink("/proc/self/ns/pid")
	if err1 == nil && err2 == nil {
		m.id = strings.TrimSpace(string(boot)) + " " + ns
	}
	return m
}
