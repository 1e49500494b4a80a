package runtime

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	goruntime "runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// recObserver records the events it is given.
type recObserver struct {
	mu       sync.Mutex
	groups   []GroupInfo
	started  []string
	progress map[int]int
	finished map[string]bool   // label → cached
	waiting  map[string]string // label → holder
	ended    []error
}

func newRecObserver() *recObserver {
	return &recObserver{progress: map[int]int{}, finished: map[string]bool{}, waiting: map[string]string{}}
}

func (o *recObserver) GroupStarted(g GroupInfo) {
	o.mu.Lock()
	o.groups = append(o.groups, g)
	o.mu.Unlock()
}
func (o *recObserver) TrialStarted(t TrialInfo) {
	o.mu.Lock()
	o.started = append(o.started, t.Label)
	o.mu.Unlock()
}
func (o *recObserver) TrialProgress(t TrialInfo, p nn.Progress) {
	o.mu.Lock()
	o.progress[t.ID]++
	o.mu.Unlock()
}
func (o *recObserver) TrialWaiting(t TrialInfo, holder string) {
	o.mu.Lock()
	o.waiting[t.Label] = holder
	o.mu.Unlock()
}
func (o *recObserver) TrialFinished(t TrialInfo, rec results.Record, cached bool) {
	o.mu.Lock()
	o.finished[t.Label] = cached
	o.mu.Unlock()
}
func (o *recObserver) GroupFinished(g GroupInfo, err error) {
	o.mu.Lock()
	o.ended = append(o.ended, err)
	o.mu.Unlock()
}

func jobs(seeds ...uint64) []builtins.Job {
	js := make([]builtins.Job, len(seeds))
	for i, s := range seeds {
		js[i] = job(s)
	}
	return js
}

// timeless drops the timing fields, which legitimately differ between runs.
func timeless(recs []results.Record) []results.Record {
	out := make([]results.Record, len(recs))
	for i, r := range recs {
		out[i] = r.WithoutTiming()
	}
	return out
}

func TestSchedulerOrderCacheAndRerun(t *testing.T) {
	store := newMemStore()
	ft := &fakeTrain{}
	obs := newRecObserver()
	s := &Scheduler{Store: store, Jobs: 2, Train: ft.train, Observer: obs}
	js := jobs(5, 3, 5, 7, 1) // seed 5 twice: one trial, two jobs
	recs, err := s.Run(context.Background(), "g", js)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Trial.Train.Seed != js[i].Trial.Train.Seed || r.Key != js[i].Trial.Key() {
			t.Errorf("record %d is of seed %d, want job order (seed %d)", i, r.Trial.Train.Seed, js[i].Trial.Train.Seed)
		}
		if want := float64(js[i].Trial.Train.Seed) / 10; r.Result.ValAcc != want {
			t.Errorf("record %d val_acc %v, want %v", i, r.Result.ValAcc, want)
		}
		if r.Finished == "" || r.NumericsVersion != results.NumericsVersion {
			t.Errorf("record %d lacks Finished or NumericsVersion: %+v", i, r)
		}
	}
	if ft.count() != 4 || store.puts != 4 {
		t.Errorf("trained %d and saved %d trials, want 4 each (the duplicate once)", ft.count(), store.puts)
	}
	if want := (GroupInfo{Name: "g", Trials: 5, Cached: 0, ToTrain: 4}); obs.groups[0] != want {
		t.Errorf("group %+v, want %+v", obs.groups[0], want)
	}
	for id, n := range obs.progress {
		if n != 2 {
			t.Errorf("trial %d reported %d progress events, want 2", id, n)
		}
	}

	// Second run (a Scheduler is one run): everything cached, nothing
	// trained, same records.
	s = &Scheduler{Store: store, Jobs: 2, Train: ft.train, Observer: obs}
	again, err := s.Run(context.Background(), "g", js)
	if err != nil {
		t.Fatal(err)
	}
	if ft.count() != 4 {
		t.Errorf("second run trained %d more trials, want 0", ft.count()-4)
	}
	if !reflect.DeepEqual(again, recs) {
		t.Error("cached records differ from the trained ones")
	}
	if want := (GroupInfo{Name: "g", Trials: 5, Cached: 4, ToTrain: 0}); obs.groups[1] != want {
		t.Errorf("cached group %+v, want %+v", obs.groups[1], want)
	}
	if !obs.finished["seed=7"] {
		t.Error("cached trial not reported as cached")
	}

	// --rerun trains everything again, once.
	s = &Scheduler{Store: store, Jobs: 2, Train: ft.train, Observer: obs, Rerun: true}
	if _, err := s.Run(context.Background(), "g", js); err != nil {
		t.Fatal(err)
	}
	if ft.count() != 8 {
		t.Errorf("rerun trained %d trials, want 4", ft.count()-4)
	}
	if _, err := s.Run(context.Background(), "h", jobs(7, 9)); err != nil {
		t.Fatal(err)
	}
	if ft.count() != 9 {
		t.Errorf("a later group of the rerun trained %d trials, want 1 (seed 7 was retrained by this run already)", ft.count()-8)
	}
	if want := (GroupInfo{Name: "h", Trials: 2, Cached: 1, ToTrain: 1}); obs.groups[3] != want {
		t.Errorf("later rerun group %+v, want %+v", obs.groups[3], want)
	}
}

// TestSchedulerReadsSharedTrialsOnce: a trial in several groups of a run is
// read from the store once.
func TestSchedulerReadsSharedTrialsOnce(t *testing.T) {
	store := &countingStore{memStore: newMemStore()}
	s := &Scheduler{Store: store, Train: (&fakeTrain{}).train}
	for _, js := range [][]builtins.Job{jobs(1), jobs(2), jobs(1, 2, 3), jobs(3, 1)} {
		if _, err := s.Run(context.Background(), "g", js); err != nil {
			t.Fatal(err)
		}
	}
	if store.gets != 3 {
		t.Errorf("read the store %d times for 3 distinct trials, want 3", store.gets)
	}
}

// countingStore counts Get calls.
type countingStore struct {
	*memStore
	gets int
}

func (c *countingStore) Get(key string) (results.Record, bool, error) {
	c.gets++
	return c.memStore.Get(key)
}

func TestSchedulerJobsDoNotChangeRecords(t *testing.T) {
	var got [][]results.Record
	for _, n := range []int{1, 2, 3} {
		s := &Scheduler{Store: newMemStore(), Jobs: n, Train: (&fakeTrain{}).train}
		recs, err := s.Run(context.Background(), "g", jobs(9, 8, 7, 6, 5, 4))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, timeless(recs))
	}
	for i := 1; i < len(got); i++ {
		if !reflect.DeepEqual(got[0], got[i]) {
			t.Errorf("records with %d workers differ from 1 worker", i+1)
		}
	}
}

func TestSchedulerCheckOnly(t *testing.T) {
	store := newMemStore()
	ft := &fakeTrain{}
	// One trial is already cached.
	warm := &Scheduler{Store: store, Train: ft.train}
	if _, err := warm.Run(context.Background(), "g", jobs(1)); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	s := &Scheduler{Store: store, Train: ft.train, CheckOnly: true, Out: &out}
	js := jobs(1, 2)
	recs, err := s.Run(context.Background(), "g", js)
	if err != nil {
		t.Fatal(err)
	}
	if ft.count() != 1 || store.puts != 1 {
		t.Errorf("check mode trained %d / saved %d trials, want none", ft.count()-1, store.puts-1)
	}
	if recs[0].Result.Status != "ok" || recs[1].Result.Status != StatusNotRun {
		t.Errorf("statuses %q, %q; want the cached record and a %q placeholder", recs[0].Result.Status, recs[1].Result.Status, StatusNotRun)
	}
	if recs[1].Key != js[1].Trial.Key() || recs[1].Trial.Train.Seed != 2 {
		t.Errorf("placeholder lacks its trial: %+v", recs[1])
	}
	if want := "would train seed=2  key " + js[1].Trial.Key() + "\n"; out.String() != want {
		t.Errorf("check listing %q, want %q", out.String(), want)
	}
}

func TestSchedulerTrialErrorNamesTrialAndKeepsOthers(t *testing.T) {
	store := newMemStore()
	ft := &fakeTrain{fail: map[uint64]bool{3: true}}
	s := &Scheduler{Store: store, Jobs: 1, Train: ft.train}
	_, err := s.Run(context.Background(), "g", jobs(1, 2, 3, 4))
	var te *TrialError
	if !errors.As(err, &te) || te.Label != "seed=3" || !strings.Contains(err.Error(), "trial seed=3: data set too small") {
		t.Fatalf("error %v, want a TrialError naming seed=3", err)
	}
	for _, seed := range []uint64{1, 2} {
		if _, ok, _ := store.Get(job(seed).Trial.Key()); !ok {
			t.Errorf("trial seed=%d finished before the failure but is not saved", seed)
		}
	}
	if _, ok, _ := store.Get(job(4).Trial.Key()); ok {
		t.Error("with one worker, seed=4 should not start after seed=3 failed")
	}
}

func TestSchedulerPanicInTrainingIsAnError(t *testing.T) {
	s := &Scheduler{Store: newMemStore(), Jobs: 2, Train: (&fakeTrain{panic: map[uint64]bool{7: true}}).train}
	_, err := s.Run(context.Background(), "g", jobs(1, 7))
	var ie *InternalError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "trial seed=7: internal error") {
		t.Fatalf("error %v, want an internal error naming trial seed=7", err)
	}
	if strings.Contains(err.Error(), "goroutine ") {
		t.Errorf("error shows a Go trace: %v", err)
	}
}

func TestSchedulerInterrupt(t *testing.T) {
	store := newMemStore()
	ft := &fakeTrain{block: map[uint64]bool{2: true, 3: true}}
	ctx, cancel := context.WithCancel(context.Background())
	obs := &cancelOnFinish{recObserver: newRecObserver(), cancel: cancel, after: 1}
	s := &Scheduler{Store: store, Jobs: 2, Train: ft.train, Observer: obs}
	_, err := s.Run(ctx, "g", jobs(1, 2, 3, 4))
	var ie *InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v, want an InterruptedError", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if ie.Total != 4 || ie.Finished != store.puts || ie.Finished < 1 {
		t.Errorf("interrupted with %d of %d finished and %d saved; want every finished trial saved, 4 in all", ie.Finished, ie.Total, store.puts)
	}
	if want := fmt.Sprintf("interrupted: %d of 4 trials finished and saved", ie.Finished); err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if _, ok, _ := store.Get(job(1).Trial.Key()); !ok {
		t.Error("the trial that finished before the interrupt is not saved")
	}
	if s.Interrupted() == nil {
		t.Error("Interrupted() is nil after an interrupt")
	}
}

// cancelOnFinish cancels the run after `after` trials finished.
type cancelOnFinish struct {
	*recObserver
	cancel func()
	after  int
	n      int
}

func (o *cancelOnFinish) TrialFinished(t TrialInfo, rec results.Record, cached bool) {
	o.recObserver.TrialFinished(t, rec, cached)
	o.mu.Lock()
	o.n++
	n := o.n
	o.mu.Unlock()
	if n == o.after {
		o.cancel()
	}
}

func TestRunThroughScheduler(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"main.star": "print(trials([1, 2]))\nprint(trials([2, 3]))\n"}))
	store := newMemStore()
	out, err := runFile(t, "main.star", Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[0.1, 0.2]\n[0.2, 0.3]\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if store.puts != 3 {
		t.Errorf("saved %d records, want 3 (seed 2 cached by the second group)", store.puts)
	}
	out, err = runFile(t, "main.star", Options{Store: newMemStore(), CheckOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "would train seed=1") || !strings.Contains(out, "[\"not run\", \"not run\"]") {
		t.Errorf("check-mode output %q lacks the trial listing or the placeholders", out)
	}
}

func TestRunInterruptedDuringTraining(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"main.star": "trials([1])\ntrials([2, 3])\n"}))
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTrain{block: map[uint64]bool{3: true}}
	obs := &cancelOnFinish{recObserver: newRecObserver(), cancel: cancel, after: 2}
	store := newMemStore()
	err := Run(ctx, Options{File: "main.star", Predeclared: testPredeclared(), Store: store, Train: ft.train, Observer: obs, Jobs: 2})
	wantErr(t, err, "interrupted: 2 of 3 trials finished and saved")
	if store.puts != 2 {
		t.Errorf("saved %d records, want 2", store.puts)
	}
}

// TestSchedulerRecordsCarryTheirJobsSettings: trials that share a key but
// were named differently (a renamed grid axis, a seed given twice) each get
// the record under their own settings, fresh or cached.
func TestSchedulerRecordsCarryTheirJobsSettings(t *testing.T) {
	s := &Scheduler{Store: newMemStore(), Train: (&fakeTrain{}).train}
	a, b := job(1), job(1)
	b.Trial.Settings = []results.Setting{{Name: "renamed", Value: "x"}}
	recs, err := s.Run(context.Background(), "g", []builtins.Job{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0].Trial.Settings, a.Trial.Settings) || !reflect.DeepEqual(recs[1].Trial.Settings, b.Trial.Settings) {
		t.Errorf("settings %v and %v, want each job's own", recs[0].Trial.Settings, recs[1].Trial.Settings)
	}
	recs, err = s.Run(context.Background(), "g", []builtins.Job{b})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0].Trial.Settings, b.Trial.Settings) {
		t.Errorf("cached record has settings %v, want the asking job's %v", recs[0].Trial.Settings, b.Trial.Settings)
	}
}

// TestThreadsFor: --jobs is a core budget; the trials that may start now
// share the cores running trials do not hold, capped by GOMAXPROCS.
func TestThreadsFor(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(4))
	for _, c := range []struct{ jobs, inUse, n, want int }{
		{1, 0, 1, 1}, {1, 0, 4, 1}, {1, 1, 1, 1},
		{2, 0, 1, 2}, {2, 0, 2, 1}, {2, 1, 1, 1},
		{4, 0, 1, 4}, {4, 0, 2, 2}, {4, 0, 3, 1}, {4, 2, 1, 2},
		{4, 1, 1, 3},  // a trial starting beside one that holds a core gets the other three
		{4, 4, 1, 1},  // never fewer than one
		{16, 0, 1, 4}, // never more threads than GOMAXPROCS
	} {
		s := &Scheduler{Jobs: c.jobs}
		if got := s.threadsFor(c.inUse, c.n); got != c.want {
			t.Errorf("jobs %d, %d cores in use, %d to start: %d threads, want %d", c.jobs, c.inUse, c.n, got, c.want)
		}
	}
}

// TestRecordsKeepThreads: a trial starts with the cores its share of the
// pool gives it — all of --jobs for a lone trial, one each when trials fill
// the pool — and its record keeps them, so a table can show seconds that
// compare.
func TestRecordsKeepThreads(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(2))
	for _, c := range []struct {
		seeds []uint64
		want  int
	}{{[]uint64{1}, 2}, {[]uint64{2, 3}, 1}, {[]uint64{4, 5, 6}, 1}} {
		f := &fakeTrain{together: min(2, len(c.seeds))}
		s := &Scheduler{Store: newMemStore(), Jobs: 2, Train: f.train}
		recs, err := s.Run(context.Background(), "g", jobs(c.seeds...))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range f.started[:min(2, len(f.started))] {
			if n != c.want {
				t.Errorf("%d trials on --jobs 2: one started with %d cores, want %d (all: %v)", len(c.seeds), n, c.want, f.started)
			}
		}
		for _, r := range recs {
			if r.Threads < c.want || r.Threads > 2 || (r.CoreSecs > 0) != (r.Threads > c.want) {
				t.Errorf("%d trials on --jobs 2: record of %s has threads %d, core-seconds %v", len(c.seeds), r.Key, r.Threads, r.CoreSecs)
			}
		}
	}
}

// TestThreadsUseTheWholeBudget: three trials on --jobs 4 start holding all
// four cores (1, 1 and 2; they got 1 each when cores were shared out once
// per group).
func TestThreadsUseTheWholeBudget(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(4))
	f := &fakeTrain{together: 3}
	s := &Scheduler{Store: newMemStore(), Jobs: 4, Train: f.train}
	if _, err := s.Run(context.Background(), "g", jobs(1, 2, 3)); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(f.started))
	if !slices.Equal(got, []int{1, 1, 2}) {
		t.Errorf("threads of 3 trials on --jobs 4: %v, want 1, 1, 2", got)
	}
}

// TestIdleCoresGoToRunningTrials: once no trial is left to start, the cores
// of finished trials go to the running ones (filter_size's third trial no
// longer ends on one of two cores), and the record keeps the most it had
// and the core-seconds the changing count added up to.
func TestIdleCoresGoToRunningTrials(t *testing.T) {
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(2))
	f := &fakeTrain{grow: map[uint64]int{2: 2}, together: 2}
	s := &Scheduler{Store: newMemStore(), Jobs: 2, Train: f.train}
	start := time.Now()
	recs, err := s.Run(context.Background(), "g", jobs(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start).Seconds()
	if !slices.Equal(f.started, []int{1, 1}) {
		t.Errorf("2 trials on --jobs 2 started with %v cores, want 1 each", f.started)
	}
	r := recs[1] // seed 2, which waited for the second core
	if r.Threads != 2 || !(r.CoreSecs > r.Seconds) || r.CoreSecs > 2*wall {
		t.Errorf("grown trial's record: threads %d, core-seconds %v, wall %v (run %v s)", r.Threads, r.CoreSecs, r.Seconds, wall)
	}
	if recs[0].Threads != 1 || recs[0].CoreSecs != 0 {
		t.Errorf("first trial's record: threads %d, core-seconds %v, want 1, 0", recs[0].Threads, recs[0].CoreSecs)
	}
}
