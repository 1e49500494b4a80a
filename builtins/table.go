package builtins

import (
	"fmt"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/results"
)

// tableBuiltins compare results:
//
//	table(results, columns=None, title="", sort=None, compare=False)
//	    Prints a table of results (one row per configuration; trials that
//	    differ only in their seed share a row showing mean ± std, and
//	    val_acc's 95% confidence interval by Student's t) and writes
//	    it as <out>/tables/<slug of title>.md and .csv (slug-2, slug-3, ...
//	    when an earlier table of the run has that title). columns are setting
//	    names (filter_size, seed, ...) and metrics: train_acc, val_acc
//	    (the kept best epoch's), test_acc, seconds (core-seconds), status,
//	    last_train_acc, last_val_acc (the last epoch's), best_epoch, loss,
//	    seeds. None shows every setting, then train_acc, val_acc, test_acc
//	    and seconds; a metric's confidence interval is the column
//	    <metric>_ci95. sort is a column, "-column" for descending; None keeps
//	    the pipeline's order. compare
//	    adds a "vs best" column: the row with the highest mean val_acc is
//	    "best", every other row shows the p-value of a paired t-test of its
//	    val_acc against the best's over the seeds they share, "≈ best" when
//	    p >= 0.05 (the difference is not significant), "-" with fewer than
//	    two shared seeds. Paired, because a seed fixes the initial weights,
//	    batch order and dropout masks: pairing cancels the seed-to-seed
//	    spread, which is often larger than the difference compared.
//	    The CSV holds numbers for pandas and spreadsheets: a mean ± std cell
//	    is three columns, <metric>_mean, <metric>_std and <metric>_n, and a
//	    missing value is empty. Returns the table's rows as a list of lists
//	    of strings, as printed. The table goes into the run's manifest (and
//	    so into report()), under the pipeline file whose code made it.
//
// pipe check validates the columns and prints only the table's size.
var tableBuiltins = starlark.StringDict{
	"table": starlark.NewBuiltin("table", table),
}

// stringsArg unpacks a list of strings; None leaves it nil.
type stringsArg struct{ s []string }

var _ starlark.Unpacker = (*stringsArg)(nil)

func (a *stringsArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		return nil
	}
	it, ok := v.(starlark.Iterable)
	if _, isStr := v.(starlark.String); !ok || isStr {
		return fmt.Errorf("got %s, want a list of strings", v.Type())
	}
	a.s = []string{}
	for e := range starlark.Elements(it) {
		s, ok := e.(starlark.String)
		if !ok {
			return fmt.Errorf("element %d is %s, want string", len(a.s), e.Type())
		}
		a.s = append(a.s, string(s))
	}
	return nil
}

func table(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		if e, ok := args[0].(*Evaluation); ok {
			var title string
			if err := unpackArgs(b.Name(), args[1:], kwargs, "title?", (*text)(&title)); err != nil {
				return nil, err
			}
			env, err := envFor(thread, b.Name())
			if err != nil {
				return nil, err
			}
			return tableOfEvaluation(env, b.Name(), e, title)
		}
	}
	var rs resultsArg
	var cols stringsArg
	var title, sortBy string
	var compare bool
	if err := unpackArgs(b.Name(), args, kwargs, "results", &rs, "columns?", &cols,
		"title?", (*text)(&title), "sort??", &sortBy, "compare?", &compare); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	recs := rs.records()
	spec := &results.TableSpec{Title: title, Columns: cols.s, Sort: sortBy, Compare: compare, Trials: results.Refs(recs)}
	t, err := spec.Table(recs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	w := env.stdout()
	if env.CheckOnly {
		fmt.Fprintf(w, "%s %q: %d rows, columns %v (not rendered in check mode)\n", b.Name(), title, len(t.Rows), t.Columns)
	} else {
		if err := t.Render(w); err != nil {
			return nil, fmt.Errorf("%s: %v", b.Name(), err)
		}
		if env.OutDir != "" {
			spec.Slug = env.uniqueSlug("tables", results.Slug(title))
			if _, _, err := spec.WriteFiles(env.OutDir, t); err != nil {
				return nil, fmt.Errorf("%s: %v", b.Name(), err)
			}
			env.addItem(results.Item{Table: spec}, recs)
		}
	}
	rows := make([]starlark.Value, len(t.Rows))
	for i, r := range t.Rows {
		cells := make([]starlark.Value, len(r))
		for j, c := range r {
			cells[j] = starlark.String(c)
		}
		rows[i] = starlark.NewList(cells)
	}
	return starlark.NewList(rows), nil
}
