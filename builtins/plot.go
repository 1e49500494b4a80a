package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/results"
)

// plotBuiltins draw results:
//
//	plot(results, metric="val_acc", title="")
//	    Draws a figure of results, every trial a labelled line, and writes it
//	    as <out>/figures/<slug of title>.svg and .png (slug-2, ... when an
//	    earlier figure of the run has that title). metric is "loss"
//	    (training loss per iteration), "val_acc", "train_acc" or "accuracy"
//	    (training and validation accuracy per epoch: one figure shows both),
//	    or "filters" (the first conv layer's filters of the first result).
//	    title "" is made from the metric and the swept settings.
//	    Returns the paths written. The figure goes into the run's manifest
//	    (and so into report()), under the pipeline file whose code drew it.
//
// pipe check validates the arguments and draws nothing.
var plotBuiltins = starlark.StringDict{
	"plot": starlark.NewBuiltin("plot", plot),
}

var plotMetrics = []string{"loss", "val_acc", "train_acc", "accuracy", "filters"}

func plot(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		if e, ok := args[0].(*Evaluation); ok {
			metric, title := "confusion", ""
			if err := unpackArgs(b.Name(), args[1:], kwargs, "metric?", &metric, "title?", &title); err != nil {
				return nil, err
			}
			env, err := envFor(thread, b.Name())
			if err != nil {
				return nil, err
			}
			return plotOfEvaluation(env, b.Name(), e, metric, title)
		}
	}
	var rs resultsArg
	metric, title := "val_acc", ""
	if err := unpackArgs(b.Name(), args, kwargs, "results", &rs, "metric?", &metric, "title?", (*text)(&title)); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	if !slices.Contains(plotMetrics, metric) {
		return nil, fmt.Errorf("%s: for parameter metric: unknown metric %q (valid: %q)", b.Name(), metric, plotMetrics)
	}
	if title == "" {
		title = metric
		if names := rs.rs[0].trial.settings; len(names) > 0 {
			title += " by"
			for _, s := range names {
				title += " " + s.Name
			}
		}
	}
	if env.CheckOnly {
		fmt.Fprintf(env.stdout(), "%s %q: %s of %d %s (not drawn in check mode)\n", b.Name(), title, metric, len(rs.rs), plural(len(rs.rs), "result", "results"))
		return starlark.NewList(nil), nil
	}
	if env.OutDir == "" {
		return nil, fmt.Errorf("%s: no output folder to write %q to", b.Name(), title)
	}
	recs := rs.records()
	labels := make([]string, len(rs.rs))
	for i, r := range rs.rs {
		labels[i] = r.trial.describe()
		if labels[i] == "" {
			labels[i] = results.Label(r.rec)
		}
	}
	spec := &results.PlotSpec{
		Metric: metric,
		Title:  title,
		Slug:   env.uniqueSlug("figures", results.Slug(title)),
		Trials: results.Refs(recs),
		Labels: labels,
	}
	files, err := spec.Draw(env.OutDir, recs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	env.addItem(results.Item{Plot: spec}, recs)
	out := make([]starlark.Value, len(files))
	shown := make([]string, len(files))
	for i, f := range files {
		out[i] = starlark.String(f)
		shown[i] = env.relOut(f)
	}
	fmt.Fprintf(env.stdout(), "%s: %s: %s\n", b.Name(), title, strings.Join(shown, ", "))
	return starlark.NewList(out), nil
}
