package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/claim"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// StatusNotRun is the Result.Status of the placeholder records that check
// mode returns for trials it would have trained, and that a shard run
// returns for uncached trials of other shards.
const StatusNotRun nn.Status = "not run"

// Store is where finished trials live. *results.Cache is the real one; tests
// use an in-memory map.
type Store interface {
	Get(key string) (results.Record, bool, error)
	Put(rec results.Record) error
}

// TrainFunc trains one trial; tests substitute a fast fake for trainSplits.
type TrainFunc func(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error)

// trainSplits is nn.Train on the three splits of d.
func trainSplits(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error) {
	if d == nil {
		return nn.Result{}, nil, nil, fmt.Errorf("train: no data splits")
	}
	return nn.Train(ctx, spec, nn.Dataset{Train: d.View(d.Train), Val: d.View(d.Val), Test: d.View(d.Test)}, cfg, run)
}

// Scheduler is the runtime's builtins.Runner: it answers trials from the
// cache, trains the others on a pool of Jobs workers, saves each record the
// moment it is finished (so an interrupt never loses one), and returns the
// records in job order.
//
// With Claims set it shares the store with other processes: it trains a
// trial only while it holds the trial's claim, re-reads the store after
// claiming (another process may have finished it since the group started),
// and waits for trials that others hold until their record appears or their
// claim expires.
//
// Reproducibility is not the scheduler's to provide but it must not break it:
// every trial carries its own seed into nn.Train and nothing about a trial's
// numbers depends on which worker runs it or when.
type Scheduler struct {
	Store     Store
	Jobs      int  // worker count; <= 0 means the number of CPUs
	Rerun     bool // train every trial once in this run, even if the store has it
	CheckOnly bool // train nothing: list what would train, return placeholders
	// Shard, if enabled, trains only the uncached trials it owns; the
	// others get placeholder records (Status StatusNotRun), as in check
	// mode, for another shard's run to train.
	Shard Shard
	// Claims, if set, is the claims folder of the store, shared with every
	// other process that may train the same trials; nil trains without
	// claiming (a store no other process uses).
	Claims *claim.Dir
	// Worker, if set, names this process in the account line printed after
	// each group: how many trials it trained, how many other processes did.
	Worker   string
	Observer Observer  // nil: no progress
	Out      io.Writer // check-mode listings and shard summaries; nil discards
	Warn     io.Writer // warnings (untrusted records); nil discards
	Train    TrainFunc // nil: nn.Train (trainSplits)
	Time     TimeFunc  // check mode's step timing; nil: nn.TimeSteps

	// beforeTraining, if set, is called once, when the first group of
	// trials arrives; its error stops the run (the runtime checks -p names
	// there, so a misspelt one does not cost a sweep).
	beforeTraining func() error
	checkedBefore  bool

	// seen holds the records this run has trained or read, by key: a trial
	// that several groups share (the base model is in every sweep of the
	// study) is read from the store once and, with Rerun, trained once.
	// Touched only by Run, on the one Starlark thread.
	seen map[string]results.Record
	// warnedOld is set once a record without a checksum was met: those are
	// all the records of an older pipe, and one warning says it for all.
	warnedOld atomic.Bool

	// dealt is each unique trial's 0-based shard in a shard run, dealt
	// when the trial is first met; ndealt counts them (see deal).
	dealt  map[string]int
	ndealt int

	// timings are check mode's step timings by model shape (estimate);
	// est sums its estimates. Touched by Run, on the one Starlark thread,
	// but est is read by Estimated under mu.
	timings map[string]nn.StepTiming
	est     Estimate

	mu          sync.Mutex
	nextID      int
	total       int // unique trials seen in this run, over all groups
	finished    int // of those, cached or trained and saved
	interrupted *InterruptedError
}

var _ builtins.Runner = (*Scheduler)(nil)

// InterruptedError is returned when the run was cancelled (Ctrl-C, SIGTERM)
// while trials were running. Every trial counted in Finished is on disk.
type InterruptedError struct {
	Finished, Total int
	cause           error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted: %d of %d trials finished and saved", e.Finished, e.Total)
}

func (e *InterruptedError) Unwrap() error { return e.cause }

// TrialError is a trial whose training failed for a reason other than
// divergence (which is a result) or cancellation.
type TrialError struct {
	Label string
	Err   error
}

func (e *TrialError) Error() string { return fmt.Sprintf("trial %s: %v", e.Label, e.Err) }
func (e *TrialError) Unwrap() error { return e.Err }

// Interrupted returns the interrupt summary of the last cancelled group, or
// nil if no group was cancelled.
func (s *Scheduler) Interrupted() *InterruptedError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.interrupted
}

// Progress returns how many unique trials the run has met so far and how
// many of those are finished (cached or trained and saved).
func (s *Scheduler) Progress() (finished, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished, s.total
}

func (s *Scheduler) observer() Observer {
	if s.Observer == nil {
		return NopObserver{}
	}
	return s.Observer
}

func (s *Scheduler) out() io.Writer {
	if s.Out == nil {
		return io.Discard
	}
	return s.Out
}

func (s *Scheduler) warn() io.Writer {
	if s.Warn == nil {
		return io.Discard
	}
	return s.Warn
}

// warnUntrusted says that the stored record of label cannot be trusted and
// is retrained. Records of an older pipe (no checksum) are announced once.
func (s *Scheduler) warnUntrusted(label string, err error) {
	if errors.Is(err, results.ErrNoChecksum) {
		if s.warnedOld.CompareAndSwap(false, true) {
			fmt.Fprintf(s.warn(), "warning: cached records written before pipe checksummed them are not trusted and are retrained (said once; the first is %s's: %v)\n", label, err)
		}
		return
	}
	fmt.Fprintf(s.warn(), "warning: cached record of %s is not trusted, retraining it: %v\n", label, err)
}

func (s *Scheduler) workers() int {
	if s.Jobs > 0 {
		return s.Jobs
	}
	return goruntime.NumCPU()
}

// threadsFor is the cores a trial starting now gets: those of the budget
// (--jobs, never more than the CPUs Go may use) that the running trials do
// not hold (inUse), shared among the startable trials that may start now,
// this one included. A group with fewer trials than cores (a lone base
// model) gives each the idle cores, and a trial that starts when others have
// finished gets theirs; training is bit-identical for any thread count, so
// this changes the wall time, never a record.
func (s *Scheduler) threadsFor(inUse, startable int) int {
	budget := min(s.workers(), goruntime.GOMAXPROCS(0))
	return max(1, (budget-inUse)/max(1, startable))
}

// shareIdle hands the cores no running trial holds, when no trial is left
// to start, to the running ones, one at a time to whichever has fewest (so
// the last trial of a sweep does not finish on one core while the others
// idle), and returns the cores now in use. Training reads its count before
// every step and is bit-identical for any count; the record keeps the
// core-seconds the changing count added up to.
func (s *Scheduler) shareIdle(active []*slot, inUse int) int {
	budget := min(s.workers(), goruntime.GOMAXPROCS(0))
	if len(active) == 0 || inUse >= budget {
		return inUse
	}
	for ; inUse < budget; inUse++ {
		least := active[0]
		for _, sl := range active[1:] {
			if sl.threads < least.threads {
				least = sl
			}
		}
		least.threads++
	}
	for _, sl := range active {
		if sl.threads != sl.cores.Get() {
			sl.cores.Set(sl.threads)
		}
	}
	return inUse
}

// slot is one unique trial of a group: the jobs that share its key point to
// it, and it is trained (or looked up) once.
type slot struct {
	info TrialInfo
	job  *builtins.Job
	rec  results.Record
	done bool
	// elsewhere: another process trained it while this run waited;
	// waiting: the holder last reported to the observer; unreadable: its
	// stored record did not decode and the warning has been printed.
	elsewhere  bool
	waiting    string
	unreadable bool
	// threads is the cores its training may use now (set by the run loop
	// only); cores passes it to the training, which reads it every step.
	threads int
	cores   *nn.Cores
}

// trainedHere counts the slots this process trained itself.
func trainedHere(todo []*slot) int {
	n := 0
	for _, sl := range todo {
		if !sl.elsewhere {
			n++
		}
	}
	return n
}

// plural is "1 trial" or "n trials".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// belong is "1 belongs" or "n belong".
func belong(n int) string {
	if n == 1 {
		return "1 belongs"
	}
	return fmt.Sprintf("%d belong", n)
}

// elsewhereNote mentions the shard's trials another process trained.
func elsewhereNote(todo []*slot) string {
	if n := len(todo) - trainedHere(todo); n > 0 {
		return fmt.Sprintf(", %d trained by another process", n)
	}
	return ""
}

// deal gives every trial of slots not met before in this run its shard:
// the new keys are sorted and dealt round-robin, continuing where the last
// group stopped, so shards differ by at most one trial over the whole
// pipeline. Cached trials are dealt too: the split then depends only on the
// pipeline, not on what each shard found in the store when it started.
func (s *Scheduler) deal(slots []*slot) {
	if !s.Shard.Enabled() {
		return
	}
	if s.dealt == nil {
		s.dealt = map[string]int{}
	}
	var fresh []string
	for _, sl := range slots {
		if _, ok := s.dealt[sl.info.Key]; !ok {
			fresh = append(fresh, sl.info.Key)
		}
	}
	slices.Sort(fresh)
	for _, k := range slices.Compact(fresh) {
		s.dealt[k] = s.ndealt % s.Shard.Count
		s.ndealt++
	}
}

// owns reports whether this run trains the trial with key (in a shard run,
// whether it was dealt to this shard).
func (s *Scheduler) owns(key string) bool {
	return !s.Shard.Enabled() || s.dealt[key] == s.Shard.Index-1
}

// Run implements builtins.Runner.
func (s *Scheduler) Run(ctx context.Context, group string, jobs []builtins.Job) ([]results.Record, error) {
	if s.Store == nil {
		return nil, errors.New("runtime: Scheduler has no Store")
	}
	obs := s.observer()

	if err := s.beforeFirstGroup(len(jobs)); err != nil {
		return nil, err
	}

	// One slot per distinct key, in order of first appearance.
	var slots []*slot
	byKey := map[string]*slot{}
	jobSlot := make([]*slot, len(jobs))
	for i := range jobs {
		key := jobs[i].Trial.Key()
		sl, ok := byKey[key]
		if !ok {
			s.mu.Lock()
			s.nextID++
			id := s.nextID
			s.mu.Unlock()
			sl = &slot{
				info: TrialInfo{ID: id, Group: group, Label: jobs[i].Label, Key: key, Iters: estimateIters(&jobs[i])},
				job:  &jobs[i],
			}
			byKey[key] = sl
			slots = append(slots, sl)
		}
		jobSlot[i] = sl
	}

	// Cache lookup: this run's records first, then the store. A record the
	// store does not trust (results.VerifyRecord) is retrained (and
	// overwritten), not fatal: the cache is a memo, never the only copy of
	// an input.
	if s.seen == nil {
		s.seen = map[string]results.Record{}
	}
	s.deal(slots)
	var todo, others []*slot
	cached := 0
	for _, sl := range slots {
		rec, ok := s.seen[sl.info.Key]
		if !ok && !s.Rerun {
			var err error
			if rec, ok, err = s.Store.Get(sl.info.Key); err != nil {
				s.warnUntrusted(sl.info.Label, err)
				sl.unreadable = true
			}
		}
		if !ok {
			if s.owns(sl.info.Key) {
				todo = append(todo, sl)
			} else {
				others = append(others, sl)
			}
			continue
		}
		s.seen[sl.info.Key] = rec
		sl.rec, sl.done = rec, true
		cached++
	}
	g := GroupInfo{Name: group, Trials: len(jobs), Cached: cached, ToTrain: len(todo), Shard: s.Shard, OtherShards: len(others)}
	// Other shards' trials are not this run's to finish, so an interrupt's
	// "K of N trials" counts only this shard's.
	s.mu.Lock()
	s.total += len(slots) - len(others)
	s.finished += cached
	s.mu.Unlock()
	obs.GroupStarted(g)
	for _, sl := range slots {
		if sl.done {
			obs.TrialFinished(sl.info, sl.rec, true)
		}
	}

	for _, sl := range others {
		sl.placeholder()
	}
	if s.CheckOnly {
		for _, sl := range todo {
			fmt.Fprintf(s.out(), "would train %s  key %s\n", sl.info.Label, sl.info.Key)
			sl.placeholder()
		}
		s.checkEstimate(group, todo)
	} else {
		if err := s.train(ctx, todo); err != nil {
			obs.GroupFinished(g, err)
			return nil, err
		}
		for _, sl := range todo {
			s.seen[sl.info.Key] = sl.rec
		}
	}
	obs.GroupFinished(g, nil)
	if s.Shard.Enabled() && !s.CheckOnly {
		// The shard's account of the group stands in for its table, which
		// a shard run does not render; it is printed even with -q.
		fmt.Fprintf(s.out(), "%s: shard %s: %s trained, %s to other shards, %d cached%s\n",
			group, s.Shard, plural(trainedHere(todo), "trial"), belong(len(others)), cached, elsewhereNote(todo))
	} else if s.Worker != "" && !s.CheckOnly {
		fmt.Fprintf(s.out(), "%s: worker %s: %s trained here, %d by other processes, %d cached\n",
			group, s.Worker, plural(trainedHere(todo), "trial"), len(todo)-trainedHere(todo), cached)
	}

	// Keys leave Settings out (they only name what a pipeline varied), so a
	// record found by key may come from a job that named its values
	// differently: each job gets the record with its own trial.
	recs := make([]results.Record, len(jobs))
	for i, sl := range jobSlot {
		recs[i] = sl.rec
		recs[i].Trial = jobs[i].Trial
	}
	return recs, nil
}

// placeholder gives sl the record of a trial this run does not train: check
// mode's "would train" trials and, in a shard run, other shards' trials.
func (sl *slot) placeholder() {
	sl.rec = results.Record{
		Key:             sl.info.Key,
		NumericsVersion: results.NumericsVersion,
		Trial:           sl.job.Trial,
		Result:          nn.Result{Status: StatusNotRun},
	}
	sl.done = true
}

// beforeFirstGroup runs the beforeTraining hook at the first group of
// trials, cached or not, in run and check mode alike, so that whether it
// fails depends on the pipeline alone. Run is called from the one Starlark
// thread, so no lock.
func (s *Scheduler) beforeFirstGroup(n int) error {
	if n == 0 || s.checkedBefore || s.beforeTraining == nil {
		return nil
	}
	s.checkedBefore = true
	return s.beforeTraining()
}

// train runs todo on the worker pool. Each finished trial is saved before
// its claim is released and before that worker starts another, so whatever
// stops the run later, the record is on disk.
//
// A trial is claimed only when a worker is free to train it at once, so
// that a busy process never sits on claims that idle ones could take. A
// trial held by another process stays pending: it is looked at again every
// poll until its record appears (then it counts as trained elsewhere) or its
// claim is released or expires (then this process claims it).
func (s *Scheduler) train(ctx context.Context, todo []*slot) error {
	if len(todo) == 0 {
		return nil
	}
	trainFn := s.Train
	if trainFn == nil {
		trainFn = trainSplits
	}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The last trials' buffers are garbage once the group ends; return
	// them before rendering allocates on top (see trainOne).
	defer debug.FreeOSMemory()

	type outcome struct {
		sl   *slot
		rec  results.Record
		err  error
		lost string // the claim was taken over: why
	}
	finished := make(chan outcome)
	pending := slices.Clone(todo)
	var active []*slot // the running trials
	inUse := 0         // cores they hold (threadsFor)
	var firstErr error
	done := gctx.Done()
	for {
		kept := pending[:0]
		for i, sl := range pending {
			if len(active) >= s.workers() || gctx.Err() != nil {
				kept = append(kept, sl)
				continue
			}
			c, ok, err := s.take(sl)
			switch {
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
				cancel()
				kept = append(kept, sl)
			case !ok:
				kept = append(kept, sl) // another process holds it
			case sl.done:
				// Trained elsewhere while this run waited.
			default:
				// This trial and the pending ones after it, up to the
				// free workers, share the free cores.
				sl.threads = s.threadsFor(inUse, min(len(pending)-i, s.workers()-len(active)))
				inUse += sl.threads
				active = append(active, sl)
				sl.cores = nn.NewCores(sl.threads)
				tctx := nn.WithCores(gctx, sl.cores)
				go func() {
					rec, lost, err := s.trainClaimed(tctx, trainFn, sl, c)
					finished <- outcome{sl, rec, err, lost}
				}()
			}
		}
		pending = kept
		if len(active) == 0 && (len(pending) == 0 || gctx.Err() != nil) {
			break
		}
		if len(pending) == 0 {
			inUse = s.shareIdle(active, inUse)
		}
		var poll <-chan time.Time
		if len(pending) > 0 && len(active) < s.workers() && gctx.Err() == nil {
			poll = time.After(s.pollEvery())
		}
		select {
		case o := <-finished:
			inUse -= o.sl.threads
			active = slices.DeleteFunc(active, func(sl *slot) bool { return sl == o.sl })
			switch {
			case o.lost != "":
				fmt.Fprintf(s.warn(), "warning: trial %s: %s; leaving the trial to it\n", o.sl.info.Label, o.lost)
				pending = append(pending, o.sl)
			case o.err != nil:
				if firstErr == nil {
					firstErr = o.err
				}
				cancel()
			default:
				s.finish(o.sl, o.rec, false)
			}
		case <-poll:
		case <-done:
			done = nil // stop selecting on it; running workers report back
		}
	}
	if ctx.Err() != nil {
		// The user's cancellation wins over whatever error it caused in the
		// workers (nn.Train returning ctx.Err(), a half-finished Put).
		finished, total := s.Progress()
		ie := &InterruptedError{Finished: finished, Total: total, cause: ctx.Err()}
		s.mu.Lock()
		s.interrupted = ie
		s.mu.Unlock()
		return ie
	}
	return firstErr
}

// finish records that sl has its record: trained here, or elsewhere while
// this run waited for it.
func (s *Scheduler) finish(sl *slot, rec results.Record, elsewhere bool) {
	sl.rec, sl.done, sl.elsewhere = rec, true, elsewhere
	s.mu.Lock()
	s.finished++
	s.mu.Unlock()
	s.observer().TrialFinished(sl.info, rec, elsewhere)
}

// take tries to make sl this process's to train. ok with a nil claim and
// sl.done means another process has saved its record meanwhile; ok with a
// claim (or without claims at all) means train it now; !ok means another
// live process holds it.
func (s *Scheduler) take(sl *slot) (c *claim.Claim, ok bool, err error) {
	stored := func() bool {
		if s.Rerun {
			return false
		}
		rec, ok, err := s.Store.Get(sl.info.Key)
		if err != nil {
			if !sl.unreadable { // warned once per trial
				s.warnUntrusted(sl.info.Label, err)
				sl.unreadable = true
			}
			return false
		}
		if ok {
			s.finish(sl, rec, true)
		}
		return ok
	}
	if s.Claims == nil {
		return nil, true, nil
	}
	if sl.waiting != "" && stored() {
		return nil, true, nil
	}
	c, holder, err := s.Claims.Acquire(sl.info.Key)
	if err != nil {
		return nil, false, fmt.Errorf("claiming trial %s: %w", sl.info.Label, err)
	}
	if c == nil {
		if sl.waiting != holder {
			sl.waiting = holder
			s.observer().TrialWaiting(sl.info, holder)
		}
		return nil, false, nil
	}
	// The store was read when the group started; the trial may have been
	// finished by another process since.
	if stored() {
		if err := c.Release(); err != nil {
			fmt.Fprintf(s.warn(), "warning: %v\n", err)
		}
		return nil, true, nil
	}
	return c, true, nil
}

// trainClaimed trains sl while holding c (nil without claims) and saves the
// record before releasing the claim. If the claim is taken over meanwhile
// (this process was judged dead), training stops and lost says why.
func (s *Scheduler) trainClaimed(ctx context.Context, trainFn TrainFunc, sl *slot, c *claim.Claim) (rec results.Record, lost string, err error) {
	if c != nil {
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		go func() {
			select {
			case <-c.Lost():
				stop()
			case <-ctx.Done():
			}
		}()
		defer func() {
			if rerr := c.Release(); rerr != nil {
				fmt.Fprintf(s.warn(), "warning: %v\n", rerr)
			}
		}()
	}
	rec, err = s.trainOne(ctx, trainFn, sl)
	if err != nil && c != nil && c.LostReason() != "" {
		return rec, "its claim was " + c.LostReason(), nil
	}
	if err != nil {
		return rec, "", err
	}
	if err := s.Store.Put(rec); err != nil {
		return rec, "", fmt.Errorf("saving the record of trial %s: %w", sl.info.Label, err)
	}
	return rec, "", nil
}

// pollEvery is how often trials held by other processes are looked at
// again: often enough that a waiting process notices a finished or expired
// claim promptly, rarely enough to cost nothing on a network filesystem.
func (s *Scheduler) pollEvery() time.Duration {
	lease := claim.DefaultLease
	if s.Claims != nil && s.Claims.Lease > 0 {
		lease = s.Claims.Lease
	}
	return min(max(lease/20, 20*time.Millisecond), 2*time.Second)
}

// trainOne trains one trial and turns a panic in the numerics into an error
// naming the trial: a worker goroutine's panic would otherwise kill the
// process with a Go trace, before finished records of other workers are
// reported.
func (s *Scheduler) trainOne(ctx context.Context, trainFn TrainFunc, sl *slot) (rec results.Record, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &TrialError{Label: sl.info.Label, Err: &InternalError{Value: r, Stack: debug.Stack()}}
		}
	}()
	obs := s.observer()
	art, _ := s.Store.(Artifacts)
	// A trial allocates its model, gradients and optimiser state (tens of
	// MB) at once and keeps them to its end; a finished trial leaves as
	// much garbage. Collect it and hand its pages back before this trial
	// allocates: left to the pacer, the heap would grow to twice the live
	// size first, and freed pages that the new buffers do not fit exactly
	// would stay resident. Once per trial this costs a few ms.
	debug.FreeOSMemory()
	var from *nn.State
	if art != nil && !s.Rerun {
		from, _ = ContinueFrom(art, sl.job.Trial, func(key string, err error) {
			fmt.Fprintf(s.warn(), "warning: saved state of %s is unusable, ignoring it: %v\n", sl.info.Label, err)
		})
	}
	info := sl.info
	if from != nil {
		info.From = from.Epoch
	}
	obs.TrialStarted(info)
	run := nn.Run{Progress: func(p nn.Progress) {
		if p.Start > 0 && p.Iter == p.Start+1 {
			// The run has taken over the state it continues from; what
			// it copied instead (the parameters) is garbage now, and a
			// training step allocates nothing, so without this it would
			// stay resident until the trial ends.
			debug.FreeOSMemory()
		}
		obs.TrialProgress(info, p)
	}, From: from, Init: sl.job.Init}
	if art != nil {
		run.Checkpoint = func(st *nn.State) error {
			if err := art.PutState(info.Key, st); err != nil {
				fmt.Fprintf(s.warn(), "warning: could not save the checkpoint of %s: %v\n", info.Label, err)
			}
			return nil
		}
	}
	start := time.Now()
	res, model, last, err := trainFn(ctx, sl.job.Trial.Model, sl.job.Data, sl.job.Trial.Train, run)
	if err != nil && from != nil && ctx.Err() == nil {
		// A state that checked out on disk but does not fit the run (nn
		// says why): train from scratch rather than fail the trial.
		fmt.Fprintf(s.warn(), "warning: saved state of %s does not fit, training from epoch 1: %v\n", info.Label, err)
		run.From = nil
		res, model, last, err = trainFn(ctx, sl.job.Trial.Model, sl.job.Data, sl.job.Trial.Train, run)
	}
	if err != nil {
		if ctx.Err() != nil {
			return rec, ctx.Err()
		}
		return rec, &TrialError{Label: info.Label, Err: err}
	}
	rec = results.NewRecord(sl.job.Trial, res, time.Since(start).Seconds(), time.Now())
	spent, most, changed := sl.cores.Spent()
	rec.Threads = most
	if changed {
		rec.CoreSecs = spent
	}
	if art != nil {
		s.keepArtifacts(art, sl, rec, model, last)
	}
	attachFilters(&rec, model)
	return rec, nil
}

// estimateIters is the solver's iteration count as CS231n's solver computes
// it (max(N/batch, 1) per epoch); it only sizes progress bars before the
// first Progress arrives with the exact figure.
func estimateIters(j *builtins.Job) int {
	cfg := j.Trial.Train
	if j.Data == nil || j.Data.Train == nil || cfg.BatchSize <= 0 {
		return 0
	}
	n := j.Data.Train.N
	if cfg.TrainImages > 0 && cfg.TrainImages < n {
		n = cfg.TrainImages
	}
	return max(n/cfg.BatchSize, 1) * max(cfg.Epochs, 1)
}
