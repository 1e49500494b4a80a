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
//	plot(results, metric="val_acc", title="", x=None, hue=None)
//	    Draws a figure of results, every trial a labelled line, and writes it
//	    as <out>/figures/<slug of title>.svg and .png (slug-2, ... when an
//	    earlier figure of the run has that title). metric is "loss"
//	    (training loss per iteration), "val_acc" or "train_acc" (that
//	    accuracy per epoch), "accuracy" (both in one figure), or "filters"
//	    (the first conv layer's filters of the first result).
//	    x draws the final val_acc or train_acc instead: against a setting
//	    (x = "lr"), one line per value of the setting hue, each point the
//	    mean over the trials there (seeds) with ± std error bars, on a log
//	    axis when the values are positive and span two decades or more
//	    (log_uniform draws, log-spaced grids); x = "trial" is a search's
//	    best-so-far curve (each proposal's value in order, and the best so
//	    far); x = "settings" is a parallel-coordinates figure, one axis per
//	    numeric setting and the metric last, each trial a line coloured by
//	    its metric. Numbers on axes and in legends have 3 significant
//	    digits. title "" is made from the metric and the swept settings.
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
			if err := unpackArgs(b.Name(), args[1:], kwargs, "metric?", &metric, "title?", (*text)(&title)); err != nil {
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
	var x, hue string
	if err := unpackArgs(b.Name(), args, kwargs, "results", &rs, "metric?", &metric, "title?", (*text)(&title), "x??", &x, "hue??", &hue); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	if !slices.Contains(plotMetrics, metric) {
		return nil, fmt.Errorf("%s: for parameter metric: unknown metric %q (valid: %q)", b.Name(), metric, plotMetrics)
	}
	if x != "" {
		if metric != "val_acc" && metric != "train_acc" {
			return nil, fmt.Errorf("%s: for parameter metric: x = %q draws val_acc or train_acc, not %q", b.Name(), x, metric)
		}
		var names []string
		for _, r := range rs.rs {
			for _, s := range r.trial.settings {
				if !slices.Contains(names, s.Name) {
					names = append(names, s.Name)
				}
			}
		}
		for _, c := range []struct{ param, name string }{{"x", x}, {"hue", hue}} {
			if c.name == "" || (c.param == "x" && (c.name == results.XTrial || c.name == results.XSettings)) {
				continue
			}
			if !slices.Contains(names, c.name) {
				return nil, fmt.Errorf("%s: for parameter %s: %q is not a setting of these results (settings: %s; or x = %q, %q)",
					b.Name(), c.param, c.name, strings.Join(names, ", "), results.XTrial, results.XSettings)
			}
		}
	} else if hue != "" {
		return nil, fmt.Errorf("%s: for parameter hue: hue groups the lines of an x figure; give x too", b.Name())
	}
	if title == "" && x != "" {
		switch x {
		case results.XTrial:
			title = metric + ": best so far"
		case results.XSettings:
			title = metric + " by settings"
		default:
			title = metric + " by " + x
			if hue != "" {
				title += " and " + hue
			}
		}
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
		X:      x,
		Hue:    hue,
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
