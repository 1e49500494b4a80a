package builtins

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/search"
)

// searchBuiltins search a space of settings instead of a grid:
//
//	uniform(lo, hi)
//	log_uniform(lo, hi)
//	int_uniform(lo, hi)
//	choice(values)
//	    Distributions of one setting's values, for the space of search():
//	    uniform floats in [lo, hi]; log_uniform floats whose logarithm is
//	    uniform (lo > 0: learning rates, regularisation strengths); integers
//	    in [lo, hi], both included; one of a non-empty list. Drawn floats
//	    are rounded to 3 significant digits, so a table prints exactly the
//	    value that was trained. lo >= hi, lo <= 0 for log_uniform and an
//	    empty choice are errors at the line that makes them.
//	search(model, data, config, space, trials=20, sampler="random", seed=0, metric="val_acc", batch=8, seeds=None, label=None)
//	    Trains trials proposals of settings drawn from space (a dict of
//	    setting name to distribution, the names as in sweep grids) and
//	    returns their results in proposal order. Proposals come in rounds
//	    of batch, trained in parallel; a round depends only on seed and on
//	    the results of earlier rounds, in proposal order, so a search
//	    proposes and trains the same trials at any --jobs, under any
//	    --shard layout and after any interrupt. Every proposal is an
//	    ordinary cached trial: raising trials from 20 to 40 trains only the
//	    20 new ones. sampler "random" draws each proposal independently;
//	    "tpe" (tree-structured Parzen estimator, Bergstra et al. 2011, with
//	    Optuna's defaults) draws at random until 10 results exist, then
//	    models the best 10% of the results against the rest, each setting
//	    on its own and log axes in log space, and proposes where the ratio
//	    is highest. metric ("val_acc" or "train_acc") is maximised; a
//	    diverged trial counts as the worst. seeds (a list of training
//	    seeds) trains every proposal once per seed and maximises the mean.
//	    In a --shard run a search trains this shard's part of its first
//	    unfinished round and stops there (its later rounds depend on the
//	    other shards' results): run the shards again to go on, or once
//	    without --shard to finish; pipe check lists the first round only.
//	halving(model, data, config, space, trials=27, seed=0, min_epochs=1, max_epochs=9, eta=3, metric="val_acc", label=None)
//	    Successive halving (Jamieson and Talwalkar 2016, one bracket of
//	    Hyperband): trials candidates from space (random search's
//	    proposals for seed, so a random search with the same seed and
//	    min_epochs shares the first rung) each train min_epochs; the best
//	    1/eta by metric go on to eta times the epochs, and so on up to
//	    max_epochs. A candidate trained further is an ordinary trial with
//	    more epochs, which the trial store continues from the saved state
//	    of its shorter run, so no epoch is trained twice. Promotions are
//	    decided only when a rung is complete, so the outcome is the same at
//	    any --jobs, under any --shard layout (a shard stops at its first
//	    unfinished rung, as search does) and after any interrupt; pruned
//	    trials stay in the store. Returns every rung's results in order,
//	    each with the setting epochs; prints the epochs trained against
//	    training every candidate to max_epochs.
//
// Example: search(base_model, data, base_train, space = {"lr":
// log_uniform(1e-4, 1e-2), "dropout": uniform(0, 0.8)}, trials = 24,
// sampler = "tpe").
var searchBuiltins = starlark.StringDict{
	"uniform":     starlark.NewBuiltin("uniform", uniformBuiltin),
	"log_uniform": starlark.NewBuiltin("log_uniform", uniformBuiltin),
	"int_uniform": starlark.NewBuiltin("int_uniform", uniformBuiltin),
	"choice":      starlark.NewBuiltin("choice", choiceBuiltin),
	"search":      starlark.NewBuiltin("search", searchBuiltin),
	"halving":     starlark.NewBuiltin("halving", halvingBuiltin),
}

// searchMetrics are the objectives search may maximise; test accuracy is
// not one (choosing by it would leak the test set into the choice).
var searchMetrics = []string{"val_acc", "train_acc"}

// spaceAxis is one setting of a search space.
type spaceAxis struct {
	name string
	dist *Dist
}

func searchBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var m modelArg
	var d dataArg
	var c configArg
	var space *starlark.Dict
	trials, seed, batch := 20, 0, 8
	sampler, metric := "random", "val_acc"
	var seeds starlark.Value = starlark.None
	var label string
	if err := unpackArgs(fn, args, kwargs, "model", &m, "data", &d, "config", &c, "space", &space,
		"trials?", &trials, "sampler?", &sampler, "seed?", &seed, "metric?", &metric, "batch?", &batch,
		"seeds?", &seeds, "label??", (*text)(&label)); err != nil {
		return nil, err
	}
	if err := firstError(intAtLeast(fn, "trials", trials, 1), intAtLeast(fn, "seed", seed, 0), intAtLeast(fn, "batch", batch, 1)); err != nil {
		return nil, err
	}
	if s := search.Sampler(sampler); s != search.Random && s != search.TPE {
		return nil, fmt.Errorf("%s: for parameter sampler: got %q, want \"random\" or \"tpe\"", fn, sampler)
	}
	env, sp, err := searchSetup(thread, fn, metric, space, m.m, c.c)
	if err != nil {
		return nil, err
	}
	var seedVals []starlark.Value
	if seeds != starlark.None {
		sa, err := sweepAxes(fn, nil, nil, seeds)
		if err != nil {
			return nil, err
		}
		seedVals = sa[0].values[0]
		if slices.Contains(sp.names, "seed") {
			return nil, fmt.Errorf("%s: seed is both in space and in seeds", fn)
		}
	}

	perProposal := max(1, len(seedVals))
	rounds := (trials + batch - 1) / batch
	var all []*Result
	var obs []search.Observation
	for r := range rounds {
		lo, hi := r*batch, min((r+1)*batch, trials)
		var ts []*trial
		points := make([][]float64, 0, hi-lo)
		for i := lo; i < hi; i++ {
			combo, point, err := sp.propose(search.Sampler(sampler), uint64(seed), i, obs)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", fn, err)
			}
			points = append(points, point)
			for _, sv := range seedValsOrNone(seedVals) {
				cb := combo
				if sv != nil {
					cb = append(slices.Clone(combo), namedValue{"seed", sv})
				}
				t, err := settingsTrial(fn, m.m, d.d, c.c, cb)
				if err != nil {
					return nil, err
				}
				t.label = label
				ts = append(ts, t)
			}
		}
		group := label
		if group == "" {
			group = fmt.Sprintf("search %s (%s)", strings.Join(sp.names, ","), sampler)
		}
		if rounds > 1 {
			group += fmt.Sprintf(" round %d/%d", r+1, rounds)
		}
		rs, err := runTrials(env, fn, group, ts)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
		for p := range points {
			v, done := proposalValue(rs[p*perProposal:(p+1)*perProposal], metric)
			if !done {
				// Another shard's (or, in pipe check, every) trial of this
				// round is not trained: later rounds cannot be proposed.
				if r+1 < rounds {
					name := fmt.Sprintf("%s (%s)", strings.Join(sp.names, ","), sampler)
					if label != "" {
						name = label
					}
					env.unfinished = append(env.unfinished, fmt.Sprintf("search %s stopped at round %d of %d", name, r+1, rounds))
				}
				return resultList(all), nil
			}
			obs = append(obs, search.Observation{X: points[p], Value: v})
		}
	}
	return resultList(all), nil
}

func seedValsOrNone(vs []starlark.Value) []starlark.Value {
	if len(vs) == 0 {
		return []starlark.Value{nil}
	}
	return vs
}

// proposalValue is the objective of one proposal: the mean of metric over
// its trials (one per seed), -Inf if one diverged; done is false when a
// trial was not trained in this run (pipe check, another shard's).
func proposalValue(rs []*Result, metric string) (v float64, done bool) {
	sum := 0.0
	for _, r := range rs {
		res := r.rec.Result
		switch res.Status {
		case nn.StatusOK:
		case nn.StatusDiverged:
			return math.Inf(-1), true
		default:
			return 0, false
		}
		if metric == "train_acc" {
			sum += res.TrainAcc
		} else {
			sum += res.ValAcc
		}
	}
	return sum / float64(len(rs)), true
}

func resultList(rs []*Result) *starlark.List {
	out := make([]starlark.Value, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return starlark.NewList(out)
}

// searchSetup checks what search and halving share: the metric and the
// space; it returns the run's Env.
func searchSetup(thread *starlark.Thread, fn, metric string, d *starlark.Dict, m *Model, c *TrainConfig) (*Env, *space, error) {
	if !slices.Contains(searchMetrics, metric) {
		return nil, nil, fmt.Errorf("%s: for parameter metric: got %q, want one of %q (the test accuracy must not choose)", fn, metric, searchMetrics)
	}
	env, err := envFor(thread, fn)
	if err != nil {
		return nil, nil, err
	}
	sp, err := newSpace(fn, d, m, c)
	return env, sp, err
}

// space is a search space: its axes as written (the order of settings in
// tables) and as the sampler sees them, sorted by name so that the order in
// which a pipeline writes the space does not change the proposals.
type space struct {
	axes   []spaceAxis
	names  []string
	sorted []spaceAxis
	saxes  []search.Axis
}

// newSpace checks d, a non-empty dict of settings of m or c mapped to
// distributions.
func newSpace(fn string, d *starlark.Dict, m *Model, c *TrainConfig) (*space, error) {
	if d == nil || d.Len() == 0 {
		return nil, fmt.Errorf("%s: for parameter space: got an empty dict, want settings mapped to distributions", fn)
	}
	sp := &space{}
	for _, kv := range d.Items() {
		name, ok := kv[0].(starlark.String)
		if !ok {
			return nil, fmt.Errorf("%s: for parameter space: key %s is %s, want string", fn, kv[0], kv[0].Type())
		}
		dist, ok := kv[1].(*Dist)
		if !ok {
			hint := ""
			if _, isList := kv[1].(*starlark.List); isList {
				hint = fmt.Sprintf(" (for a list of values write choice(%s))", kv[1])
			}
			return nil, fmt.Errorf("%s: for parameter space: %s is %s, want a distribution (uniform, log_uniform, int_uniform or choice)%s", fn, string(name), kv[1].Type(), hint)
		}
		sp.axes = append(sp.axes, spaceAxis{string(name), dist})
		sp.names = append(sp.names, string(name))
	}
	if err := checkSettings(fn, m, c, sp.names); err != nil {
		return nil, err
	}
	sp.sorted = slices.Clone(sp.axes)
	slices.SortFunc(sp.sorted, func(a, b spaceAxis) int { return strings.Compare(a.name, b.name) })
	for _, a := range sp.sorted {
		sp.saxes = append(sp.saxes, a.dist.axis(a.name))
	}
	return sp, nil
}

// propose returns proposal i: the settings in the space's order and the
// point the sampler observes for it (of the values as rounded).
func (sp *space) propose(s search.Sampler, seed uint64, i int, obs []search.Observation) ([]namedValue, []float64, error) {
	x, err := search.Propose(s, sp.saxes, seed, i, obs)
	if err != nil {
		return nil, nil, err
	}
	vals := map[string]starlark.Value{}
	point := make([]float64, len(sp.sorted))
	for k, a := range sp.sorted {
		vals[a.name] = a.dist.value(x[k])
		point[k] = a.dist.internal(vals[a.name])
	}
	combo := make([]namedValue, len(sp.axes))
	for k, a := range sp.axes {
		combo[k] = namedValue{a.name, vals[a.name]}
	}
	return combo, point, nil
}

// halvingRung is one rung of successive halving: how many candidates
// train to how many epochs.
type halvingRung struct{ candidates, epochs int }

// halvingRungs plans successive halving (Jamieson and Talwalkar 2016; the
// rungs of Li et al.'s Hyperband bracket): n candidates at minEpochs, then
// the best n/eta (at least 1) at eta times the epochs, and so on while the
// epochs stay within maxEpochs; the last rung is maxEpochs.
func halvingRungs(n, minEpochs, maxEpochs, eta int) []halvingRung {
	rungs := []halvingRung{{n, minEpochs}}
	for {
		last := rungs[len(rungs)-1]
		if last.epochs >= maxEpochs || last.candidates <= 1 {
			return rungs
		}
		rungs = append(rungs, halvingRung{max(1, last.candidates/eta), min(last.epochs*eta, maxEpochs)})
	}
}

func halvingBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fn := b.Name()
	var m modelArg
	var d dataArg
	var c configArg
	var space *starlark.Dict
	trials, seed, minEpochs, maxEpochs, eta := 27, 0, 1, 9, 3
	metric := "val_acc"
	var label string
	if err := unpackArgs(fn, args, kwargs, "model", &m, "data", &d, "config", &c, "space", &space,
		"trials?", &trials, "seed?", &seed, "min_epochs?", &minEpochs, "max_epochs?", &maxEpochs, "eta?", &eta,
		"metric?", &metric, "label??", (*text)(&label)); err != nil {
		return nil, err
	}
	if err := firstError(intAtLeast(fn, "trials", trials, 1), intAtLeast(fn, "seed", seed, 0),
		intAtLeast(fn, "min_epochs", minEpochs, 1), intAtLeast(fn, "max_epochs", maxEpochs, minEpochs), intAtLeast(fn, "eta", eta, 2)); err != nil {
		return nil, err
	}
	env, sp, err := searchSetup(thread, fn, metric, space, m.m, c.c)
	if err != nil {
		return nil, err
	}
	if slices.Contains(sp.names, "epochs") {
		return nil, fmt.Errorf("%s: for parameter space: epochs is what halving allots; it cannot be searched", fn)
	}
	// The candidates are random search's proposals with the same seed, so
	// a random search of min_epochs trains the first rung for both.
	cands := make([][]namedValue, trials)
	for i := range cands {
		if cands[i], _, err = sp.propose(search.Random, uint64(seed), i, nil); err != nil {
			return nil, fmt.Errorf("%s: %v", fn, err)
		}
	}

	rungs := halvingRungs(trials, minEpochs, maxEpochs, eta)
	name := label
	if name == "" {
		name = "halving " + strings.Join(sp.names, ",")
	}
	alive := make([]int, trials) // candidate indices in this rung, in candidate order
	for i := range alive {
		alive[i] = i
	}
	var all []*Result
	trained, prev := 0, 0
	for k, rung := range rungs {
		var ts []*trial
		for _, i := range alive {
			combo := append(slices.Clone(cands[i]), namedValue{"epochs", starlark.MakeInt(rung.epochs)})
			t, err := settingsTrial(fn, m.m, d.d, c.c, combo)
			if err != nil {
				return nil, err
			}
			t.label = label
			ts = append(ts, t)
		}
		group := fmt.Sprintf("%s rung %d/%d (%d epochs)", name, k+1, len(rungs), rung.epochs)
		rs, err := runTrials(env, fn, group, ts)
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
		trained += len(alive) * (rung.epochs - prev)
		prev = rung.epochs
		vals := make([]float64, len(rs))
		for j, r := range rs {
			v, done := proposalValue([]*Result{r}, metric)
			if !done {
				if k+1 < len(rungs) {
					env.unfinished = append(env.unfinished, fmt.Sprintf("%s stopped at rung %d of %d", name, k+1, len(rungs)))
				}
				return resultList(all), nil
			}
			vals[j] = v
		}
		if k+1 < len(rungs) {
			// Promote the best; ties keep candidate order.
			order := make([]int, len(alive))
			for j := range order {
				order[j] = j
			}
			slices.SortStableFunc(order, func(a, b int) int {
				switch {
				case vals[a] > vals[b]:
					return -1
				case vals[a] < vals[b]:
					return 1
				}
				return 0
			})
			next := make([]int, rungs[k+1].candidates)
			for j := range next {
				next[j] = alive[order[j]]
			}
			slices.Sort(next)
			alive = next
		}
	}
	fmt.Fprintf(env.stdout(), "%s: %d candidates, rungs %s: %d epochs to train with continuation, %d to train every candidate to %d epochs\n",
		fn, trials, describeRungs(rungs), trained, trials*rungs[len(rungs)-1].epochs, rungs[len(rungs)-1].epochs)
	return resultList(all), nil
}

func describeRungs(rungs []halvingRung) string {
	parts := make([]string, len(rungs))
	for i, r := range rungs {
		parts[i] = fmt.Sprintf("%d×%d", r.candidates, r.epochs)
	}
	return strings.Join(parts, ", ")
}
