package nn

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Status is how a training run ended, as its Result and record say.
type Status string

// The statuses of a finished run.
const (
	StatusOK       Status = "ok"
	StatusDiverged Status = "diverged" // a loss became NaN or Inf
)

// DefaultAccSamples is how many training images the per-epoch training
// accuracy uses when TrainConfig.AccSamples is 0.
const DefaultAccSamples = 1000

// Images is one split of a labelled image set as the solver reads it: nn
// knows nothing of files or pixel formats. nn/data's splits provide it
// (data.Splits.View); so can tests, with synthetic data.
type Images interface {
	// Len is the number of images.
	Len() int
	// Shape is every image's (C, H, W); Classes the number of labels.
	Shape() [3]int
	Classes() int
	// Batch writes the preprocessed images idx into dst (len(idx)·C·H·W)
	// and their labels into labels (len(idx)). Concurrent trials call it at
	// once: it must only read.
	Batch(idx []int, dst []float32, labels []int)
}

// Dataset is what Train trains, validates and tests on.
type Dataset struct {
	Train, Val, Test Images
}

// Train builds spec for the data's shape and classes, trains it with cfg on
// d.Train, keeps the parameters with the best validation accuracy and
// evaluates them on d.Test. Cancelling ctx stops the run with ctx.Err().
// WithThreads or WithCores in ctx lets it use several cores. run holds the optional
// parts: progress, a State to continue from, a checkpoint hook.
//
// One epoch is one pass over the training images in an order shuffled by
// cfg.Seed, in batches of cfg.BatchSize (the last one smaller when the batch
// size does not divide the count). After each epoch the training accuracy is
// measured on at most cfg.AccSamples images sampled without replacement (a
// fresh sample each epoch) and the validation accuracy on all of d.Val; the
// learning rate is then multiplied by cfg.LRDecay (0 keeps it, like 1). With
// cfg.Patience > 0 the run stops once that many epochs in a row have not
// beaten the best validation accuracy (Result.StoppedAt).
// Everything runs on the calling goroutine in a fixed order, so the same spec,
// data and config give a bit-identical Result.
//
// Without validation images (an empty d.Val) the validation accuracy is 0 and
// the last epoch counts as the best; without test images TestAcc is 0.
//
// A loss that becomes NaN or Inf stops the run with Status "diverged" and
// DivergedAt the 1-based iteration; that loss is not put in Loss (JSON cannot
// hold it), and the accuracies and the returned model are those of the best
// epoch finished before. When no epoch finished, the model is nil.
//
// The returned State is the run at its last epoch, from which a longer run
// of the same trial continues (Run.From); it is nil for a diverged run. It
// shares its buffers with the returned model and the finished optimiser
// (which Train no longer touches) instead of copying them.
func Train(ctx context.Context, spec ModelSpec, d Dataset, cfg TrainConfig, run Run) (Result, *Model[float32], *State, error) {
	if d.Train == nil || d.Val == nil || d.Test == nil {
		return Result{}, nil, nil, fmt.Errorf("train: data splits are missing (train, validation and test are all needed)")
	}
	return train(ctx, spec, d.Train, d.Val, d.Test, cfg, run)
}

// Run holds the optional parts of a Train call.
type Run struct {
	// Progress, if set, is called after every training iteration.
	Progress func(Progress)

	// From, if set, continues a run from the end of its epoch From.Epoch
	// instead of starting at epoch 1. From must be the State of a run of
	// the same spec, data and config except for fewer (or as many) Epochs;
	// then the Result is bit-identical to training cfg.Epochs at once.
	// A State that does not fit the model or the data is an error, and
	// leaves it unchanged. A State that fits is taken over: the run adopts
	// its optimiser buffers and best parameters and clears its Params,
	// Best and Optim.Slots, so that a continued run holds one copy of
	// them (pass a copy to keep the State).
	From *State

	// Init, if set, replaces the random initial weights (a warm start):
	// one tensor per parameter, by name (W1, b1, ...), each of the
	// parameter's size. A missing, extra or mis-sized tensor is an error.
	// It is ignored when From is set.
	Init map[string][]float32

	// Checkpoint, if set, is called after every finished epoch but the
	// last with the State so far (the last one Train returns), so that a
	// run killed later can resume from it. Its error stops the run. The
	// State shares the run's buffers: it is valid during the call only
	// (write it out; clone what must outlive the call).
	Checkpoint func(*State) error
}

// threadsKey is the context key of WithThreads and WithCores.
type threadsKey struct{}

// WithThreads returns a context that lets Train run the kernels of its model
// (GEMMs, the optimiser's update) on up to n goroutines. It is a run option
// rather than a TrainConfig field because it does not change the result
// (training is bit-identical for every n) and so must not enter cache keys.
// Give it n > 1 only when cores would otherwise be idle, such as a trial
// running alone: a sweep already runs one trial per core.
func WithThreads(ctx context.Context, n int) context.Context {
	return WithCores(ctx, NewCores(n))
}

// WithCores is WithThreads with a count that may change while Train runs
// (Cores.Set): Train reads it before every step.
func WithCores(ctx context.Context, c *Cores) context.Context {
	return context.WithValue(ctx, threadsKey{}, c)
}

// CoresFrom is the Cores that WithCores or WithThreads put in ctx, or nil
// (one thread).
func CoresFrom(ctx context.Context) *Cores {
	c, _ := ctx.Value(threadsKey{}).(*Cores)
	return c
}

// Cores is a thread count that may change during a run (a scheduler hands a
// running trial the cores of trials that have finished), with the
// core-seconds it has allowed so far: the time integral of the count, which
// is what a training that ran on a changing number of cores took. A nil
// *Cores is one thread. Its methods are safe for concurrent use.
type Cores struct {
	n     atomic.Int32
	mu    sync.Mutex
	since time.Time
	spent float64 // core-seconds before since
	most  int
	moved bool // Set changed the count after NewCores
}

// NewCores returns a count of n (at least 1) from now on.
func NewCores(n int) *Cores {
	c := &Cores{since: time.Now(), most: max(n, 1)}
	c.n.Store(int32(max(n, 1)))
	return c
}

// Set changes the count to n (at least 1) from now on.
func (c *Cores) Set(n int) {
	n = max(n, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.spent += float64(now.Sub(c.since).Seconds() * float64(c.n.Load())) // (unfused: see nn/fmath.go)
	c.since = now
	c.moved = c.moved || n != int(c.n.Load())
	c.n.Store(int32(n))
	c.most = max(c.most, n)
}

// Get is the count now (1 for a nil *Cores).
func (c *Cores) Get() int {
	if c == nil {
		return 1
	}
	return int(c.n.Load())
}

// Spent returns the core-seconds allowed since NewCores, the largest count
// it has had, and whether the count ever changed.
func (c *Cores) Spent() (coreSeconds float64, most int, changed bool) {
	if c == nil {
		return 0, 1, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spent + float64(time.Since(c.since).Seconds()*float64(c.n.Load())), c.most, c.moved
}

// checkConfig validates cfg and fills its defaults.
func checkConfig(cfg TrainConfig, nTrain int) (TrainConfig, error) {
	if cfg.Epochs < 1 {
		return cfg, fmt.Errorf("epochs %d: must be at least 1", cfg.Epochs)
	}
	if cfg.BatchSize < 1 {
		return cfg, fmt.Errorf("batch_size %d: must be at least 1", cfg.BatchSize)
	}
	if cfg.LRDecay == 0 {
		cfg.LRDecay = 1
	}
	if !(cfg.LRDecay > 0) || math.IsInf(cfg.LRDecay, 0) {
		return cfg, fmt.Errorf("lr_decay %g: must be positive and finite", cfg.LRDecay)
	}
	if cfg.TrainImages < 0 {
		return cfg, fmt.Errorf("train_images %d: must be ≥ 0 (0 keeps all)", cfg.TrainImages)
	}
	if cfg.TrainImages > nTrain {
		return cfg, fmt.Errorf("train_images %d: the training split has only %d images", cfg.TrainImages, nTrain)
	}
	if cfg.AccSamples < 0 {
		return cfg, fmt.Errorf("acc_samples %d: must be ≥ 0 (0 means %d)", cfg.AccSamples, DefaultAccSamples)
	}
	if cfg.Patience < 0 {
		return cfg, fmt.Errorf("patience %d: must be ≥ 0 (0 never stops early)", cfg.Patience)
	}
	if cfg.AccSamples == 0 {
		cfg.AccSamples = DefaultAccSamples
	}
	return cfg, nil
}

func train(ctx context.Context, spec ModelSpec, trainSet, valSet, testSet Images, cfg TrainConfig, run Run) (Result, *Model[float32], *State, error) {
	cfg, err := checkConfig(cfg, trainSet.Len())
	if err != nil {
		return Result{}, nil, nil, err
	}
	in, classes := trainSet.Shape(), trainSet.Classes()
	for _, s := range []struct {
		name string
		set  Images
	}{{"validation", valSet}, {"test", testSet}} {
		if sh := s.set.Shape(); s.set.Len() > 0 && (sh != in || s.set.Classes() != classes) {
			return Result{}, nil, nil, fmt.Errorf("the %s split holds %d classes of %dx%dx%d images, the training split %d classes of %dx%dx%d",
				s.name, s.set.Classes(), sh[0], sh[1], sh[2], classes, in[0], in[1], in[2])
		}
	}
	opt, err := NewOptimizer(cfg.Optimizer)
	if err != nil {
		return Result{}, nil, nil, err
	}
	m, err := Build[float32](spec, in, classes, cfg.Seed)
	if err != nil {
		return Result{}, nil, nil, err
	}
	cores := CoresFrom(ctx)
	m.SetThreads(cores.Get())
	nTrain := trainSet.Len()
	if cfg.TrainImages > 0 {
		nTrain = cfg.TrainImages
	}
	if nTrain < 1 {
		return Result{}, nil, nil, fmt.Errorf("the training split is empty")
	}

	s := newSession(m, cfg.BatchSize)
	itersPerEpoch := (nTrain + cfg.BatchSize - 1) / cfg.BatchSize
	iters := itersPerEpoch * cfg.Epochs
	res := Result{Status: StatusOK, Loss: make([]float64, 0, iters),
		TrainAccs: make([]float64, 0, cfg.Epochs), ValAccs: make([]float64, 0, cfg.Epochs)}
	shufflePCG, samplePCG := rand.NewPCG(cfg.Seed, streamShuffle), rand.NewPCG(cfg.Seed, streamAccSample)
	shuffle, sampler := rand.New(shufflePCG), rand.New(samplePCG)
	order := make([]int, nTrain)
	for i := range order {
		order[i] = i
	}
	accIdx := make([]int, nTrain)
	// best holds the best epoch's parameters once training has moved past
	// it; while bestCurrent, the best epoch is the last one finished and
	// its parameters are the model's own, so a run whose best epoch is its
	// last (every one-epoch run) never copies them.
	var best [][]float32
	bestCurrent := false
	lr := cfg.Optimizer.LR
	first := 1
	if run.Init != nil && run.From == nil {
		if err := initFrom(m, run.Init); err != nil {
			return Result{}, nil, nil, fmt.Errorf("init_from: %v", err)
		}
	}
	if st := run.From; st != nil {
		if err := restore(st, cfg, m, opt, shufflePCG, samplePCG, nTrain, itersPerEpoch); err != nil {
			return Result{}, nil, nil, fmt.Errorf("cannot continue from the saved state: %v", err)
		}
		res.BestEpoch, res.TrainAcc, res.ValAcc, res.StoppedAt = st.Result.BestEpoch, st.Result.TrainAcc, st.Result.ValAcc, st.Result.StoppedAt
		res.Loss = append(res.Loss, st.Result.Loss...)
		res.TrainAccs = append(res.TrainAccs, st.Result.TrainAccs...)
		res.ValAccs = append(res.ValAccs, st.Result.ValAccs...)
		copy(order, st.Order)
		lr, first = st.LR, st.Epoch+1
		if bestCurrent = st.Result.BestEpoch == st.Epoch; !bestCurrent {
			best = st.Best
		}
		// The run has taken the buffers over (or copied the parameters);
		// the State lets go of them, so that they are not held twice.
		st.Params, st.Best, st.Optim.Slots = nil, nil, nil
	}
	// save is the run's State at the end of the current epoch. It shares
	// the model's and the optimiser's buffers rather than copying them (a
	// copy would double a trial's memory while it is written).
	save := func(epoch int) *State {
		st := &State{Epoch: epoch, LR: lr, Result: cloneResult(res), Order: slices.Clone(order),
			Params: values(m.Params()), Best: slices.Clone(best), Optim: opt.save(m.Params())}
		if bestCurrent {
			st.Best = st.Params
		}
		st.RNG.Shuffle, _ = shufflePCG.MarshalBinary()
		st.RNG.Sample, _ = samplePCG.MarshalBinary()
		st.RNG.Dropout, _ = m.dropout.MarshalBinary()
		return st
	}
	iter := (first - 1) * itersPerEpoch
	epoch := first - 1
	for res.StoppedAt == 0 && epoch < cfg.Epochs {
		epoch++
		if bestCurrent {
			// This epoch changes the parameters: keep the best ones first.
			best, bestCurrent = copyValues(best, m.Params()), false
		}
		shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for start := 0; start < nTrain; start += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				return Result{}, nil, nil, err
			}
			iter++
			m.SetThreads(cores.Get())
			loss := s.step(trainSet, order[start:min(start+cfg.BatchSize, nTrain)], opt, lr)
			if !isFinite(loss) {
				res.Status, res.DivergedAt = StatusDiverged, iter
				break
			}
			res.Loss = append(res.Loss, loss)
			if run.Progress != nil {
				run.Progress(Progress{Epoch: epoch, Epochs: cfg.Epochs, Iter: iter, Iters: iters, Loss: loss, Start: (first - 1) * itersPerEpoch})
			}
		}
		if res.Status == StatusDiverged {
			break
		}
		// Training accuracy on a fresh sample of at most AccSamples of the
		// images trained on.
		sample := accIdx[:min(cfg.AccSamples, nTrain)]
		for i, j := range sampler.Perm(nTrain)[:len(sample)] {
			sample[i] = j
		}
		trainAcc := s.accuracy(trainSet, sample)
		valAcc := s.accuracy(valSet, nil)
		res.TrainAccs = append(res.TrainAccs, trainAcc)
		res.ValAccs = append(res.ValAccs, valAcc)
		if valSet.Len() == 0 || res.BestEpoch == 0 || valAcc > res.ValAcc {
			res.BestEpoch, res.ValAcc, res.TrainAcc, bestCurrent = epoch, valAcc, trainAcc, true
		}
		lr *= cfg.LRDecay
		if cfg.Patience > 0 && epoch-res.BestEpoch >= cfg.Patience {
			res.StoppedAt = epoch
		}
		if run.Checkpoint != nil && epoch < cfg.Epochs && res.StoppedAt == 0 {
			if err := run.Checkpoint(save(epoch)); err != nil {
				return Result{}, nil, nil, err
			}
		}
	}
	if best == nil && !bestCurrent {
		// Diverged within the first epoch: no parameters worth keeping, and
		// the last ones may hold Inf or NaN.
		return res, nil, nil, nil
	}
	var last *State
	if res.Status == StatusOK {
		last = save(epoch)
	}
	if !bestCurrent {
		// The model takes the best parameters for testing and keeping: a
		// swap of buffers, not a copy (last keeps both as they were).
		// Layers read their parameters' Data at every call.
		for i, p := range m.Params() {
			p.Value.Data, best[i] = best[i], p.Value.Data
		}
	}
	res.TestAcc = s.accuracy(testSet, nil)
	return res, m, last, nil
}

// restore puts the model, the optimiser and the solver's streams where st
// left them, after checking that st fits the run.
func restore(st *State, cfg TrainConfig, m *Model[float32], opt Optimizer, shuffle, sample *rand.PCG, nTrain, itersPerEpoch int) error {
	if err := st.check(cfg, m.Params(), nTrain, itersPerEpoch); err != nil {
		return err
	}
	if err := opt.load(st.Optim, m.Params()); err != nil {
		return err
	}
	for _, r := range []struct {
		p    *rand.PCG
		b    []byte
		name string
	}{{shuffle, st.RNG.Shuffle, "shuffle"}, {sample, st.RNG.Sample, "sample"}, {m.dropout, st.RNG.Dropout, "dropout"}} {
		if err := restorePCG(r.p, r.b, r.name); err != nil {
			return err
		}
	}
	for i, p := range m.Params() {
		copy(p.Value.Data, st.Params[i])
	}
	return nil
}

// initFrom sets the parameters of m to the named tensors of init.
func initFrom(m *Model[float32], init map[string][]float32) error {
	if len(init) != len(m.Params()) {
		return fmt.Errorf("%d tensors, the model has %d parameters", len(init), len(m.Params()))
	}
	vals := make([][]float32, len(m.Params()))
	for i, p := range m.Params() {
		v, ok := init[p.Name]
		if !ok {
			return fmt.Errorf("no tensor %s", p.Name)
		}
		vals[i] = v
	}
	return m.SetParams(vals)
}

// copyValues copies the values of params into dst, allocating it the first
// time.
func copyValues(dst [][]float32, params []*Param[float32]) [][]float32 {
	if dst == nil {
		return paramValues(params)
	}
	for i, p := range params {
		copy(dst[i], p.Value.Data)
	}
	return dst
}

// session holds the buffers of one training run: an input batch, its labels
// and predictions, all sized once for the batch size.
type session struct {
	m      *Model[float32]
	x      buffer[float32]
	y      []int
	pred   []int
	idx    []int
	batchN int
}

func newSession(m *Model[float32], batch int) *session {
	return &session{m: m, batchN: batch, y: make([]int, batch), pred: make([]int, batch), idx: make([]int, batch)}
}

// load fills the input batch with images idx of set and their labels.
func (s *session) load(set Images, idx []int) *Tensor[float32] {
	in := s.m.Input()
	x := s.x.resize(len(idx), in[0], in[1], in[2])
	s.y = s.y[:len(idx)]
	set.Batch(idx, x.Data, s.y)
	return x
}

// step runs one training iteration on images idx and returns the loss; the
// parameters are updated only when the loss is finite.
func (s *session) step(set Images, idx []int, opt Optimizer, lr float64) float64 {
	return trainStep(s.m, s.load(set, idx), s.y, opt, lr)
}

// accuracy is the fraction of images idx of set (all of them when idx is
// nil) that the model classifies correctly, in batches of the training batch
// size.
func (s *session) accuracy(set Images, idx []int) float64 {
	n := set.Len()
	if idx != nil {
		n = len(idx)
	}
	if n == 0 {
		return 0
	}
	correct := 0
	for start := 0; start < n; start += s.batchN {
		end := min(start+s.batchN, n)
		b := s.idx[:end-start]
		for i := range b {
			if idx != nil {
				b[i] = idx[start+i]
			} else {
				b[i] = start + i
			}
		}
		x := s.load(set, b)
		pred := s.pred[:len(b)]
		s.m.Predict(x, pred)
		for i, p := range pred {
			if p == s.y[i] {
				correct++
			}
		}
	}
	return float64(correct) / float64(n)
}
