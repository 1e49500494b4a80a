package builtins

import (
	"cmp"
	"fmt"
	"slices"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// Evaluation is what evaluate() returns: a results.Evaluation (with the
// misclassified images' pixels) and the label of its trial.
type Evaluation struct {
	*starlarkstruct.Struct
	ev       results.Evaluation
	measured bool   // false in check mode, and for a trial not run
	label    string // the trial's, for titles
}

func (e *Evaluation) Type() string { return "evaluation" }

func (e *Evaluation) String() string {
	return fmt.Sprintf("evaluation(%s on %s: accuracy=%.4f)", e.label, e.ev.Split, e.ev.Accuracy)
}

var splitNames = []string{"train", "val", "test"}

func evaluate(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var r *Result
	var d dataArg
	split := "test"
	if err := unpackArgs(b.Name(), args, kwargs, "result", &r, "data", &d, "split?", &split); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	sets := map[string]*data.Set{"train": d.d.splits.Train, "val": d.d.splits.Val, "test": d.d.splits.Test}
	set, ok := sets[split]
	if !ok {
		return nil, fmt.Errorf("%s: for parameter split: got %q, want one of %q", b.Name(), split, splitNames)
	}
	ev := results.Evaluation{Key: r.rec.Key, Data: d.d.spec, Split: split}
	if env.CheckOnly || r.rec.Result.Status == "not run" {
		return newEvaluation(ev, false, r.trial.describe()), nil
	}
	id := results.EvalKey(ev.Key, ev.Data, split)
	if env.Models != nil {
		if cached, ok := env.Models.GetEvaluation(id); ok {
			return newEvaluation(cached, true, r.trial.describe()), nil
		}
	}
	w, err := env.weightsOf(b.Name(), r)
	if err != nil {
		return nil, err
	}
	m, err := nn.Build[float32](w.Model, w.Input, len(w.Data.Classes), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: the kept weights' model: %v", b.Name(), err)
	}
	vals := make([][]float32, len(w.Tensors))
	for i, t := range w.Tensors {
		if i >= len(m.Params()) || m.Params()[i].Name != t.Name {
			return nil, fmt.Errorf("%s: the kept weights of %s do not match its model (tensor %s)", b.Name(), r.rec.Key, t.Name)
		}
		vals[i] = t.F32
	}
	if err := m.SetParams(vals); err != nil {
		return nil, fmt.Errorf("%s: the kept weights of %s: %v", b.Name(), r.rec.Key, err)
	}
	var res nn.Evaluation
	err = recovered(b.Name(), func() error {
		var err error
		res, err = nn.Evaluate(m, d.d.splits.View(set), r.rec.Trial.Train.BatchSize)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %s on %s: %v", b.Name(), r.trial.describe(), d.d.String(), err)
	}
	ev.Images, ev.Accuracy, ev.Loss, ev.Confusion = set.N, res.Accuracy, res.Loss, res.Confusion
	for i, row := range res.Confusion {
		n := 0
		for _, v := range row {
			n += v
		}
		acc := 0.0
		if n > 0 {
			acc = float64(row[i]) / float64(n)
		}
		ev.ClassAcc = append(ev.ClassAcc, acc)
	}
	for i, p := range res.Pred {
		if l := int(set.Labels[i]); p != l {
			ev.Worst = append(ev.Worst, results.Miss{Index: i, Label: l, Pred: p, Prob: res.Prob[i]})
		}
	}
	slices.SortStableFunc(ev.Worst, func(a, b results.Miss) int { return cmp.Compare(b.Prob, a.Prob) })
	ev.Worst = ev.Worst[:min(len(ev.Worst), results.MaxWorst)]
	ev.Shape = [3]int{set.C, set.H, set.W}
	size := set.C * set.H * set.W
	for i, m := range ev.Worst {
		ev.Worst[i].Pixels = set.Images[m.Index*size : (m.Index+1)*size]
	}
	if env.Models != nil {
		if err := env.Models.PutEvaluation(ev); err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
	}
	return newEvaluation(ev, true, r.trial.describe()), nil
}

func newEvaluation(ev results.Evaluation, measured bool, label string) *Evaluation {
	classAcc := starlark.NewDict(len(ev.ClassAcc))
	for i, a := range ev.ClassAcc {
		_ = classAcc.SetKey(starlark.String(ev.Data.Classes[i]), starlark.Float(a)) // string keys: cannot fail
	}
	classAcc.Freeze()
	conf := make([]starlark.Value, len(ev.Confusion))
	for i, row := range ev.Confusion {
		cells := make([]starlark.Value, len(row))
		for j, v := range row {
			cells[j] = starlark.MakeInt(v)
		}
		l := starlark.NewList(cells)
		l.Freeze()
		conf[i] = l
	}
	confusion := starlark.NewList(conf)
	confusion.Freeze()
	classes := make([]starlark.Value, len(ev.Data.Classes))
	for i, c := range ev.Data.Classes {
		classes[i] = starlark.String(c)
	}
	cl := starlark.NewList(classes)
	cl.Freeze()
	return &Evaluation{ev: ev, measured: measured, label: label, Struct: starlarkstruct.FromStringDict(starlark.String("evaluation"), starlark.StringDict{
		"accuracy": starlark.Float(ev.Accuracy), "loss": starlark.Float(ev.Loss), "images": starlark.MakeInt(ev.Images),
		"classes": cl, "class_acc": classAcc, "confusion": confusion,
		"split": starlark.String(ev.Split), "key": starlark.String(ev.Key),
	})}
}

// tableOfEvaluation is table() of an evaluation: its per-class table.
func tableOfEvaluation(env *Env, fn string, e *Evaluation, title string) (starlark.Value, error) {
	if title == "" {
		title = fmt.Sprintf("%s: %s accuracy by class", e.label, e.ev.Split)
	}
	if env.CheckOnly {
		fmt.Fprintf(env.stdout(), "%s %q: accuracy by class of an evaluation (not rendered in check mode)\n", fn, title)
	}
	if env.CheckOnly || !e.measured {
		return starlark.NewList(nil), nil
	}
	t := e.ev.Table(title)
	if err := t.Render(env.stdout()); err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	if env.OutDir != "" {
		spec := &results.EvalSpec{Kind: "table", Title: title, Slug: env.uniqueSlug("tables", results.Slug(title)), Eval: e.ev}
		if _, _, err := spec.Render(env.OutDir); err != nil {
			return nil, fmt.Errorf("%s: %v", fn, err)
		}
		env.addItem(results.Item{Eval: spec}, nil)
	}
	return starlark.NewList(nil), nil
}

// plotOfEvaluation is plot() of an evaluation: metric "confusion" or
// "misclassified".
func plotOfEvaluation(env *Env, fn string, e *Evaluation, metric, title string) (starlark.Value, error) {
	if metric != "confusion" && metric != "misclassified" {
		return nil, fmt.Errorf("%s: for parameter metric: an evaluation plots \"confusion\" or \"misclassified\", not %q", fn, metric)
	}
	if title == "" {
		title = fmt.Sprintf("%s: %s %s", e.label, e.ev.Split, metric)
	}
	if env.CheckOnly {
		fmt.Fprintf(env.stdout(), "%s %q: %s of an evaluation (not drawn in check mode)\n", fn, title, metric)
	}
	if env.CheckOnly || !e.measured {
		return starlark.NewList(nil), nil
	}
	if env.OutDir == "" {
		return nil, fmt.Errorf("%s: no output folder to write %q to", fn, title)
	}
	spec := &results.EvalSpec{Kind: metric, Title: title, Slug: env.uniqueSlug("figures", results.Slug(title)), Eval: e.ev}
	_, files, err := spec.Render(env.OutDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	env.addItem(results.Item{Eval: spec}, nil)
	out := make([]starlark.Value, len(files))
	for i, f := range files {
		fmt.Fprintf(env.stdout(), "wrote %s\n", env.relOut(f))
		out[i] = starlark.String(env.relOut(f))
	}
	return starlark.NewList(out), nil
}
