package builtins

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/pipe-ml/pipe/results"
)

// artifactsBuiltins use the trained models a run keeps:
//
//	evaluate(result, data, split="test")
//	    Measures the kept (best-validation) weights of result on a split
//	    ("train", "val" or "test") of data, any data value whose image shape
//	    and class count fit the model. Returns an evaluation with the
//	    attributes accuracy, loss (mean cross-entropy), images, classes,
//	    class_acc (a dict class → accuracy), confusion (rows of true
//	    classes, columns of predicted ones), split and key. On the trial's
//	    own data and split "test" its accuracy is the trial's test_acc
//	    exactly. Cached in the store by (trial key, data, split).
//	    table(evaluation, title="") prints and writes its per-class table;
//	    plot(evaluation, metric="confusion", title="") draws the confusion
//	    matrix, metric="misclassified" the most confidently misclassified
//	    images with their true and predicted classes.
//	weights(path)
//	    Reads a safetensors file (one export wrote, or any with tensors
//	    named W1, b1, ... of the model's shapes) as a warm-start source for
//	    train(..., init_from = weights(path)). path is relative to the
//	    working directory; the trial key holds the file's SHA-256.
//	export(result, path)
//	    Writes the kept (best-validation) weights of result to path, a file
//	    name relative to the pipeline's output folder (out/<pipeline>/), as
//	    safetensors, the format PyTorch, JAX and Hugging Face read; pipe
//	    export KEY FILE does the same from the command line. Tensors are
//	    float32 named W1, b1, W2, b2, ... (conv weights (filters, channels,
//	    height, width), affine weights (inputs, outputs)); the metadata holds
//	    the model spec, the image shape, the data selection and the test
//	    accuracy. scripts/torch_eval.py loads one into PyTorch. Returns the
//	    path written.
//
// pipe check validates the arguments and writes nothing.
var artifactsBuiltins = starlark.StringDict{
	"export":   starlark.NewBuiltin("export", export),
	"evaluate": starlark.NewBuiltin("evaluate", evaluate),
	"weights":  starlark.NewBuiltin("weights", weightsFile),
}

// WeightsFile is what weights(path) returns: named tensors and the digest
// that names them in trial keys.
type WeightsFile struct {
	*starlarkstruct.Struct
	tensors map[string][]float32
	digest  string
}

func (w *WeightsFile) Type() string { return "weights" }

func weightsFile(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := unpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	ts, digest, err := results.ReadWeightsFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", b.Name(), strings.TrimPrefix(err.Error(), "results: "))
	}
	return &WeightsFile{tensors: ts, digest: digest, Struct: starlarkstruct.FromStringDict(starlark.String("weights"),
		starlark.StringDict{"path": starlark.String(path), "key": starlark.String(digest)})}, nil
}

// warmArg unpacks init_from: a result (its kept weights) or weights(path).
type warmArg struct {
	r *Result
	w *WeightsFile
}

func (a *warmArg) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case *Result:
		a.r = v
	case *WeightsFile:
		a.w = v
	case starlark.NoneType:
	default:
		return fmt.Errorf("got %s, want a result or weights(path)", v.Type())
	}
	return nil
}

// source returns the warm start's name for the trial key and its tensors
// (nil in check mode, or when the source result was not trained).
func (a *warmArg) source(env *Env, fn string) (string, map[string][]float32, error) {
	switch {
	case a.w != nil:
		return a.w.digest, a.w.tensors, nil
	case a.r != nil:
		if env.CheckOnly || a.r.rec.Result.Status == "not run" {
			return a.r.rec.Key, nil, nil
		}
		w, err := env.weightsOf(fn, a.r)
		if err != nil {
			return "", nil, err
		}
		return a.r.rec.Key, w.Named(), nil
	}
	return "", nil, nil
}

// ModelStore reads the kept weights of trials and caches evaluations; the
// runtime's store (*results.Cache) is one.
type ModelStore interface {
	GetWeights(key string) (results.Weights, bool, error)
	GetEvaluation(id string) (results.Evaluation, bool)
	PutEvaluation(ev results.Evaluation) error
}

// weightsOf returns the kept weights of r, or an error saying why there are
// none.
func (env *Env) weightsOf(fn string, r *Result) (results.Weights, error) {
	if env.Models == nil {
		return results.Weights{}, fmt.Errorf("%s: this run keeps no weights", fn)
	}
	w, ok, err := env.Models.GetWeights(r.rec.Key)
	if err != nil {
		return results.Weights{}, fmt.Errorf("%s: %v", fn, err)
	}
	if !ok {
		return results.Weights{}, fmt.Errorf("%s: trial %s (key %s) has no kept weights: it was trained before pipe kept weights, diverged in its first epoch, or pipe gc --keep records removed them; pipe run --rerun trains it again",
			fn, r.trial.describe(), r.rec.Key)
	}
	return w, nil
}

func export(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var r *Result
	var path string
	if err := unpackArgs(b.Name(), args, kwargs, "result", &r, "path", &path); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	if path == "" || !filepath.IsLocal(path) {
		return nil, fmt.Errorf("%s: for parameter path: %q must be a relative file name inside the output folder", b.Name(), path)
	}
	if env.CheckOnly {
		return starlark.String(path), nil
	}
	w, err := env.weightsOf(b.Name(), r)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(env.OutDir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	if err := results.WriteWeights(full, w); err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	fmt.Fprintf(env.stdout(), "exported %s\n", env.relOut(full))
	return starlark.String(env.relOut(full)), nil
}
