package builtins

import (
	"context"
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// trial is one training run a builtin asks for: its inputs as values (so
// the result can hand them back) and its canonical spec.
type trial struct {
	model    *Model
	data     *Data
	config   *TrainConfig
	settings []results.Setting // the sweep values, in axis order
	values   []starlark.Value  // the same values as Starlark saw them, for result.settings
	label    string
	spec     nn.ModelSpec
	initFrom string               // the warm start's name (results.Trial.InitFrom), "" for random
	init     map[string][]float32 // its tensors; nil when not loaded (check mode)
}

// newTrial checks that model fits data and returns the trial; fn names the
// builtin for messages.
func newTrial(fn string, m *Model, d *Data, c *TrainConfig, named []namedValue) (*trial, error) {
	spec, err := m.specFor(d.in(), d.classes(), c.conf.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	if err := iterationsFit(c.conf, d); err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	t := &trial{model: m, data: d, config: c, spec: spec}
	for _, nv := range named {
		t.settings = append(t.settings, results.Setting{Name: nv.name, Value: settingValue(nv.value)})
		t.values = append(t.values, nv.value)
	}
	return t, nil
}

// maxIterations bounds one trial's iterations (epochs × batches per epoch).
// The solver keeps every iteration's loss and sizes that history up front,
// so a slip such as epochs = 10**9 asked for gigabytes (or overflowed)
// before the first step. Ten million iterations (80 MB of history) is days
// of training even for a tiny model.
const maxIterations = 10_000_000

// iterationsFit rejects a configuration whose run on d would take more than
// maxIterations iterations, computed as the solver does (a smaller last
// batch counts) and without overflow.
func iterationsFit(conf nn.TrainConfig, d *Data) error {
	if d.splits == nil || d.splits.Train == nil || conf.BatchSize < 1 {
		return nil // nothing to train on: the solver says so
	}
	n := d.splits.Train.N
	if conf.TrainImages > 0 && conf.TrainImages < n {
		n = conf.TrainImages
	}
	perEpoch := max((n+conf.BatchSize-1)/conf.BatchSize, 1)
	if conf.Epochs > maxIterations/perEpoch {
		return fmt.Errorf("%d epochs of %d batches are %.3g iterations, more than the %d pipe runs in one trial",
			conf.Epochs, perEpoch, float64(conf.Epochs)*float64(perEpoch), maxIterations)
	}
	return nil
}

type namedValue struct {
	name  string
	value starlark.Value
}

// describe is "filter_size=3 seed=0", or the label, or both. Values are
// formatted as tables show them (results.FormatSettings: dropout=0, not
// Starlark's 0.0), so a legend or progress line matches the table's row.
func (t *trial) describe() string {
	s := results.FormatSettings(t.settings)
	switch {
	case t.label == "":
		return s
	case s == "":
		return t.label
	}
	return t.label + " " + s
}

func (t *trial) job() Job {
	return Job{
		Trial: results.Trial{Model: t.spec, Data: t.data.spec, Train: t.config.conf.WithoutUnused(), Settings: t.settings, InitFrom: t.initFrom},
		Data:  t.data.splits,
		Label: t.describe(),
		Init:  t.init,
	}
}

// runTrials hands all trials to the runner at once, so that they train in
// parallel, and wraps the records as results.
func runTrials(env *Env, fn, group string, trials []*trial) ([]*Result, error) {
	if env.Runner == nil {
		return nil, fmt.Errorf("%s: no trial runner on this thread (the runtime must set Env.Runner)", fn)
	}
	ctx := env.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	jobs := make([]Job, len(trials))
	for i, t := range trials {
		jobs[i] = t.job()
	}
	recs, err := env.Runner.Run(ctx, group, jobs)
	if err != nil {
		// %w: the runtime tells an unknown -p or an interrupt by its type.
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	if len(recs) != len(jobs) {
		return nil, fmt.Errorf("%s: internal error: runner returned %d records for %d trials", fn, len(recs), len(jobs))
	}
	out := make([]*Result, len(trials))
	for i, t := range trials {
		rec := recs[i]
		// Settings are not part of the key, so a cached record carries the
		// settings of the pipeline that first trained it (the base model is
		// filter_size=7 in one sweep and reg=0.001 in another): label it with
		// this call's.
		rec.Trial.Settings = t.settings
		out[i] = &Result{valueType: "result", trial: t, rec: rec}
	}
	return out, nil
}

// Result is one finished trial: its record and the values that made it.
type Result struct {
	valueType
	trial *trial
	rec   results.Record
}

var _ starlark.HasAttrs = (*Result)(nil)

func (r *Result) String() string {
	return fmt.Sprintf("result(%s val_acc=%.4f status=%s)", r.trial.describe(), r.rec.Result.ValAcc, r.rec.Result.Status)
}

// Record returns the trial's record, as the results package renders it.
func (r *Result) Record() results.Record { return r.rec }

var resultAttrs = []string{"best_epoch", "config", "data", "history", "key", "label", "model",
	"seconds", "settings", "status", "stopped_at", "test_acc", "train_acc", "train_config", "val_acc"}

func (r *Result) AttrNames() []string { return resultAttrs }

func (r *Result) Attr(name string) (starlark.Value, error) {
	res := r.rec.Result
	switch name {
	case "train_acc":
		return starlark.Float(res.TrainAcc), nil
	case "val_acc":
		return starlark.Float(res.ValAcc), nil
	case "test_acc":
		return starlark.Float(res.TestAcc), nil
	case "seconds":
		return starlark.Float(r.rec.Seconds), nil
	case "status":
		return starlark.String(res.Status), nil
	case "best_epoch":
		return starlark.MakeInt(res.BestEpoch), nil
	case "stopped_at":
		return starlark.MakeInt(res.StoppedAt), nil
	case "key":
		return starlark.String(r.rec.Key), nil
	case "label":
		return starlark.String(r.trial.describe()), nil
	case "model":
		return r.trial.model, nil
	case "data":
		return r.trial.data, nil
	case "train_config":
		return r.trial.config, nil
	case "settings":
		d := starlark.NewDict(len(r.trial.values))
		for i, s := range r.trial.settings {
			_ = d.SetKey(starlark.String(s.Name), r.trial.values[i]) // string keys: cannot fail
		}
		d.Freeze()
		return d, nil
	case "config":
		return r.config(), nil
	case "history":
		return starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
			"loss":      floatList(res.Loss),
			"train_acc": floatList(res.TrainAccs),
			"val_acc":   floatList(res.ValAccs),
		}), nil
	}
	return nil, nil
}

// config is every setting of the model and the training configuration
// (the optimiser by name, then its settings) as one struct.
func (r *Result) config() *starlarkstruct.Struct {
	d := starlark.StringDict{}
	m, c := r.trial.model, r.trial.config
	for i, n := range m.set.names {
		d[n] = m.set.vals[i]
	}
	for i, n := range c.set.names {
		d[n] = c.set.vals[i]
	}
	d["optimizer"] = starlark.String(c.opt.spec.Name)
	for i, n := range c.opt.set.names {
		d[n] = c.opt.set.vals[i]
	}
	return starlarkstruct.FromStringDict(starlarkstruct.Default, d)
}

func floatList(xs []float64) *starlark.List {
	vs := make([]starlark.Value, len(xs))
	for i, x := range xs {
		vs[i] = starlark.Float(x)
	}
	l := starlark.NewList(vs)
	l.Freeze()
	return l
}

// resultsArg unpacks a result or a list of results.
type resultsArg struct{ rs []*Result }

var _ starlark.Unpacker = (*resultsArg)(nil)

func (a *resultsArg) Unpack(v starlark.Value) error {
	if r, ok := v.(*Result); ok {
		a.rs = []*Result{r}
		return nil
	}
	it, ok := v.(starlark.Iterable)
	if !ok {
		return fmt.Errorf("got %s, want a list of results", v.Type())
	}
	for e := range starlark.Elements(it) {
		r, ok := e.(*Result)
		if !ok {
			return fmt.Errorf("element %d is %s, want result (from train or sweep)", len(a.rs), e.Type())
		}
		a.rs = append(a.rs, r)
	}
	if len(a.rs) == 0 {
		return fmt.Errorf("no results")
	}
	return nil
}

func (a *resultsArg) records() []results.Record {
	recs := make([]results.Record, len(a.rs))
	for i, r := range a.rs {
		recs[i] = r.rec
	}
	return recs
}
