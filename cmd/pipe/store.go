package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/results"
)

const exportUsage = `Usage: pipe export KEY FILE [--out DIR]
       pipe export --records DIR > runs.jsonl

Writes the kept (best-validation) weights of the trial KEY (the key column
of a table, or the file name in out/trials/) to FILE as safetensors, the
format PyTorch, JAX and Hugging Face read. Tensors are float32, named W1,
b1, W2, b2, ... with conv weights (filters, channels, height, width) and
affine weights (inputs, outputs); the metadata holds the model spec
(pipe.model), the image shape (pipe.input) and the class names
(pipe.classes). scripts/torch_eval.py loads one into PyTorch.

With --records, writes every trial record of the trial store DIR
(out/trials, or an output root such as out) to stdout as JSON Lines, one
object per trial, sorted by key: key, settings (by name), metrics (status,
train_acc, val_acc, test_acc, best_epoch, epochs, final_loss, seconds),
config (every field of the spec by dotted path, e.g. "model.reg"), the
accuracy per epoch, and when it finished. Read it with pandas
(pd.read_json("runs.jsonl", lines=True), pd.json_normalize) or DuckDB
(read_json_auto). An unreadable record is named on stderr and skipped, and
the exit status is then 1.

Flags:
`

// exportCmd implements pipe export.
func exportCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe export", exportUsage, stdout, stderr)
	records := c.fs.String("records", "", "write every record of the trial store `DIR` to stdout as JSON Lines")
	store, pos, err := parseStore(c, args, -1, "")
	switch {
	case err != nil:
	case *records != "" && len(pos) > 0:
		err = c.fail(fmt.Errorf("--records takes no KEY or FILE, got %s", quoteList(pos)))
	case *records != "":
		return exportRecords(*records, stdout, stderr)
	case len(pos) != 2:
		err = c.fail(fmt.Errorf("want KEY and FILE (or --records DIR), got %s", quoteList(pos)))
	}
	if err != nil {
		return exitCode(err)
	}
	w, ok, err := store.GetWeights(pos[0])
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "pipe export: %v\n", strings.TrimPrefix(err.Error(), "results: "))
		return exitFail
	case !ok:
		fmt.Fprintf(stderr, "pipe export: no weights of trial %s in %s (not trained yet, trained before pipe kept weights, or removed by pipe gc --keep records)\n",
			pos[0], store.WeightsPath(pos[0]))
		return exitFail
	}
	if err := results.WriteWeights(pos[1], w); err != nil {
		fmt.Fprintf(stderr, "pipe export: %v\n", strings.TrimPrefix(err.Error(), "results: "))
		return exitFail
	}
	fmt.Fprintf(stdout, "wrote %s (%d tensors, %s)\n", pos[1], len(w.Tensors), size(weightsBytes(w)))
	return exitOK
}

func weightsBytes(w results.Weights) int64 {
	var n int64
	for _, t := range w.Tensors {
		n += 4 * int64(len(t.F32))
	}
	return n
}

const duUsage = `Usage: pipe du [--out DIR]

Prints how much of the trial store each kind of file takes: records
(trials/), resumable states (state/: the last epoch of each trial, and
the checkpoint of an unfinished one), kept weights (weights/) and cached
evaluations (evals/: what evaluate() measured, kept by pipe gc).

Flags:
`

// duCmd implements pipe du.
func duCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe du", duUsage, stdout, stderr)
	store, _, err := parseStore(c, args, 0, "no arguments")
	if err != nil {
		return exitCode(err)
	}
	usage, err := store.Usage()
	if err != nil {
		fmt.Fprintf(stderr, "pipe du: %v\n", strings.TrimPrefix(err.Error(), "results: "))
		return exitFail
	}
	var files int
	var total int64
	for _, u := range usage {
		fmt.Fprintf(stdout, "%-8s %5d files  %9s\n", u.Kind, u.Files, size(u.Bytes))
		files += u.Files
		total += u.Bytes
	}
	fmt.Fprintf(stdout, "%-8s %5d files  %9s\n", "total", files, size(total))
	return exitOK
}

const gcUsage = `Usage: pipe gc [--keep weights|records] [--max-size SIZE] [--out DIR]

Removes trained-model files from the trial store, never records. By
default (--keep weights) it removes the resumable states of finished
trials, which are the largest files (a trial's parameters plus its
optimiser's buffers) and are needed only to train a trial further; the
kept weights stay for evaluate and export. The state and weights of a
trial without a record stay: they are the checkpoint an interrupted run
resumes from, or a running one is writing. --keep records removes the
weights too. With --max-size SIZE (bytes, or with a K, M or G suffix) it
removes those files oldest first only until the store holds at most SIZE.
It prints each file it removes and the total freed.

A pruned trial stays cached: its record answers every table. Training it
further starts again from epoch 1, and evaluate or export of a trial
without weights is an error saying so.

Flags:
`

// gcCmd implements pipe gc.
func gcCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe gc", gcUsage, stdout, stderr)
	var keep, maxSize string
	c.fs.StringVar(&keep, "keep", "weights", "keep `weights` (remove states) or records (remove states and weights)")
	c.fs.StringVar(&maxSize, "max-size", "", "remove oldest first only until the store holds at most `SIZE` (e.g. 1.5G)")
	store, _, err := parseStore(c, args, 0, "no arguments")
	var limit int64
	switch {
	case err != nil:
	case keep != "weights" && keep != "records":
		err = c.fail(fmt.Errorf("--keep %q: want weights or records", keep))
	case maxSize != "":
		if limit, err = parseSize(maxSize); err != nil {
			err = c.fail(fmt.Errorf("--max-size %q: %v", maxSize, err))
		}
	}
	if err != nil {
		return exitCode(err)
	}
	kind := results.WeightsDir
	if keep == "records" {
		kind = results.TrialsDir
	}
	pruned, unfinished, err := store.Prune(kind, limit)
	var freed int64
	for _, p := range pruned {
		fmt.Fprintf(stdout, "removed %s (%s)\n", p.Path, size(p.Bytes))
		freed += p.Bytes
	}
	fmt.Fprintf(stdout, "freed %s in %d files\n", size(freed), len(pruned))
	if unfinished > 0 {
		fmt.Fprintf(stdout, "kept %d files of unfinished trials (the checkpoints a rerun resumes from)\n", unfinished)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pipe gc: %v\n", strings.TrimPrefix(err.Error(), "results: "))
		return exitFail
	}
	return exitOK
}

// parseStore adds the --out flag of the store commands to c, parses args
// and checks that they hold n positional arguments (want names them); n < 0
// leaves them to the caller.
func parseStore(c *command, args []string, n int, want string) (*results.Cache, []string, error) {
	var out string
	c.fs.StringVar(&out, "out", "", "the output root `DIR` holding the trial store (default out/, or $PIPE_OUT)")
	pos, err := c.parse(args)
	if err == nil && n >= 0 && len(pos) != n {
		err = c.fail(fmt.Errorf("want %s, got %s", want, quoteList(pos)))
	}
	return &results.Cache{Dir: outRoot(out)}, pos, err
}

// parseSize reads a byte count: a number with an optional K, M or G
// suffix (powers of 1024).
func parseSize(s string) (int64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || v*mult > 1<<62 {
		return 0, errors.New("want a positive size such as 500M or 1.5G")
	}
	return int64(v * mult), nil
}

// size renders a byte count for people: 512 B, 12.5 MB, 1.40 GB.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
}
