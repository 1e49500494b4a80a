package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipe-ml/pipe/builtins"
	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// StatusNotRun is the Result.Status of the placeholder records that check
// mode returns for trials it would have trained, and that a shard run
// returns for uncached trials of other shards.
const StatusNotRun = "not run"

// Store is where finished trials live. *results.Cache is the real one; tests
// use an in-memory map.
type Store interface {
	Get(key string) (results.Record, bool, error)
	Put(rec results.Record) error
}

// TrainFunc trains one trial. It has nn.Train's signature so that tests can
// substitute a fast fake.
type TrainFunc func(ctx context.Context, spec nn.ModelSpec, d *data.Splits, cfg nn.TrainConfig, run nn.Run) (nn.Result, *nn.Model[float32], *nn.State, error)

// Scheduler is the runtime's builtins.Runner: it answers trials from the
// cache, trains the others on a pool of Jobs workers, saves each record the
// moment it is finished (so an interrupt never loses one), and returns the
// records in job order.
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
	Shard    Shard
	Observer Observer  // nil: no progress
	Out      io.Writer // check-mode listings and warnings; nil discards
	Train    TrainFunc // nil: nn.Train

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

func (s *Scheduler) workers() int {
	if s.Jobs > 0 {
		return s.Jobs
	}
	return goruntime.NumCPU()
}

// threadsPerTrial shares the worker budget among n trials to train,
// never more threads than the CPUs Go may use.
func (s *Scheduler) threadsPerTrial(n int) int {
	budget := min(s.workers(), goruntime.GOMAXPROCS(0))
	return max(1, budget/max(1, min(n, budget)))
}

// slot is one unique trial of a group: the jobs that share its key point to
// it, and it is trained (or looked up) once.
type slot struct {
	info TrialInfo
	job  *builtins.Job
	rec  results.Record
	done bool
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

	// Cache lookup: this run's records first, then the store. An unreadable
	// record is retrained (and overwritten), not fatal: the cache is a memo,
	// never the only copy of an input.
	if s.seen == nil {
		s.seen = map[string]results.Record{}
	}
	var todo, others []*slot
	cached := 0
	for _, sl := range slots {
		rec, ok := s.seen[sl.info.Key]
		if !ok && !s.Rerun {
			var err error
			if rec, ok, err = s.Store.Get(sl.info.Key); err != nil {
				fmt.Fprintf(s.out(), "warning: cached record of %s is unreadable, retraining it: %v\n", sl.info.Label, err)
			}
		}
		if !ok {
			if s.Shard.Owns(sl.info.Key) {
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
		trained, belong := "trials", "belong"
		if len(todo) == 1 {
			trained = "trial"
		}
		if len(others) == 1 {
			belong = "belongs"
		}
		fmt.Fprintf(s.out(), "%s: shard %s: %d %s trained, %d %s to other shards, %d cached\n",
			group, s.Shard, len(todo), trained, len(others), belong, cached)
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
// the next is started by that worker, so whatever stops the run later, the
// record is on disk.
func (s *Scheduler) train(ctx context.Context, todo []*slot) error {
	if len(todo) == 0 {
		return nil
	}
	trainFn := s.Train
	if trainFn == nil {
		trainFn = nn.Train
	}
	obs := s.observer()
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(s.workers())
	// --jobs is a budget of cores. When a group has fewer trials to train
	// than that (a lone base model, the best net), each trial gets the cores
	// the pool would leave idle; training is bit-identical for any thread
	// count, so this changes the wall time, never a record.
	tctx := gctx
	if threads := s.threadsPerTrial(len(todo)); threads > 1 {
		tctx = nn.WithThreads(gctx, threads)
	}
	for _, sl := range todo {
		if gctx.Err() != nil {
			break // a worker failed or the user interrupted: start nothing new
		}
		eg.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			rec, err := s.trainOne(tctx, trainFn, sl)
			if err != nil {
				return err
			}
			if err := s.Store.Put(rec); err != nil {
				return fmt.Errorf("saving the record of trial %s: %w", sl.info.Label, err)
			}
			sl.rec, sl.done = rec, true
			s.mu.Lock()
			s.finished++
			s.mu.Unlock()
			obs.TrialFinished(sl.info, rec, false)
			return nil
		})
	}
	err := eg.Wait()
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
	return err
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
	info := sl.info
	obs.TrialStarted(info)
	progress := func(p nn.Progress) { obs.TrialProgress(info, p) }
	start := time.Now()
	res, model, _, err := trainFn(ctx, sl.job.Trial.Model, sl.job.Data, sl.job.Trial.Train, nn.Run{Progress: progress})
	if err != nil {
		if ctx.Err() != nil {
			return rec, ctx.Err()
		}
		return rec, &TrialError{Label: info.Label, Err: err}
	}
	rec = results.NewRecord(sl.job.Trial, res, time.Since(start).Seconds(), time.Now())
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
