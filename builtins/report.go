package builtins

import (
	"fmt"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/results"
	"github.com/pipe-ml/pipe/results/web"
)

// reportBuiltins write the study up:
//
//	report(title="Report", intro="")
//	    Writes <out>/report.md and <out>/report.html: title as its heading,
//	    intro (Markdown) under it, then one section per pipeline file run so
//	    far, in the order the files began — the main file and every file it
//	    loaded, so a report.star that load()s the other pipelines gets a
//	    section for each — holding the file's leading comment, the lines its
//	    checks printed, its tables (inline, linked as Markdown and CSV) and
//	    its figures (PNG embedded, SVG linked). A file that rendered nothing
//	    gets no section. Links are relative and the report has no
//	    timestamps, so the same records give the same bytes, and `pipe
//	    report DIR` rebuilds both from the run's manifest.json and the trial
//	    store alone. report.html is the same report as one self-contained
//	    page (no network; it works opened from disk): tables sort and filter
//	    and hide columns that do not vary, curves show the values under the
//	    pointer. Calling report() again rewrites both files with everything
//	    up to that call. Returns the path of report.md.
//
// pipe check validates the arguments and writes nothing.
var reportBuiltins = starlark.StringDict{
	"report": starlark.NewBuiltin("report", report),
}

func report(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	title, intro := "Report", ""
	if err := unpackArgs(b.Name(), args, kwargs, "title?", (*text)(&title), "intro?", (*prose)(&intro)); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(title) == "" { // text refused line breaks
		return nil, fmt.Errorf("%s: for parameter title: got %q, want one non-empty line", b.Name(), title)
	}
	if env.CheckOnly {
		fmt.Fprintf(env.stdout(), "%s %q: not written in check mode\n", b.Name(), title)
		return starlark.None, nil
	}
	if env.OutDir == "" || env.Manifest == nil {
		return nil, fmt.Errorf("%s: no output folder and manifest to write %q from (the runtime must set Env.OutDir and Env.Manifest)", b.Name(), title)
	}
	env.Manifest.Report = &results.ReportSpec{Title: title, Intro: intro, Items: len(env.Manifest.Items)}
	path, err := env.Manifest.WriteReport(env.OutDir, env.recs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	htmlPath, err := web.WriteReport(env.OutDir, env.Manifest, env.recs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	fmt.Fprintf(env.stdout(), "%s: %s: %s, %s\n", b.Name(), title, env.relOut(path), env.relOut(htmlPath))
	return starlark.String(path), nil
}
