package builtins

import (
	"fmt"
	"math"
	"strings"

	"go.starlark.net/starlark"

	"github.com/pipe-ml/pipe/nn"
)

// checkBuiltins are sanity checks that fail the run with a message saying
// what was expected when their expectation does not hold, and print their
// figures when it does:
//
//	check_initial_loss(model, data=None, classes=10, images=50, reg=None, shape=(3, 32, 32),
//	                   expect=None, tol=0.01, seed=0)
//	    Builds model (weights seeded by seed) and computes its loss on
//	    images random N(0, 1) images of shape with random labels among
//	    classes (both taken from data when given). reg None keeps the
//	    model's. The loss must be within tol of expect; expect None means
//	    ln(classes) when reg is 0, and above ln(classes) otherwise (the L2
//	    term adds to it). Returns the loss.
//	gradient_check(model, shape=(3, 16, 16), classes=10, inputs=2, tol=1e-5, seed=0, step=None)
//	    Compares the analytic gradient of every parameter with centred
//	    differences in float64 on inputs random images and labels, prints
//	    each parameter's maximum relative error and fails if one exceeds tol.
//	    step None is 1e-4 × weight_scale for the normal initialiser (1e-5
//	    for he and xavier). An element whose +step or -step pass changes a
//	    ReLU input's sign or a max-pool window's arg-max (a kink, where a
//	    centred difference is wrong for a correct net) is retried with steps
//	    10, 100 and 1000 times smaller; if every step crosses, it is left out
//	    and the printed line says how many were. Returns a dict of the
//	    errors.
//	overfit(model, data, config, train_images=100, min_train_acc=0.95, min_gap=0.10)
//	    Trains on the first train_images training images only; the last
//	    epoch's training accuracy must reach min_train_acc and exceed its
//	    validation accuracy by min_gap. Returns the result.
//
// pipe check computes the initial loss (float32, a fraction of a second),
// and checks gradient_check's and overfit's arguments and shapes without
// the numeric gradient (two float64 forward passes per weight: seconds) or
// the training.
var checkBuiltins = starlark.StringDict{
	"check_initial_loss": starlark.NewBuiltin("check_initial_loss", checkInitialLoss),
	"gradient_check":     starlark.NewBuiltin("gradient_check", gradientCheck),
	"overfit":            starlark.NewBuiltin("overfit", overfit),
}

// shapeArg unpacks an image shape (C, H, W).
type shapeArg struct{ in [3]int }

var _ starlark.Unpacker = (*shapeArg)(nil)

func (a *shapeArg) Unpack(v starlark.Value) error {
	it, ok := v.(starlark.Indexable)
	if !ok || it.Len() != 3 {
		return fmt.Errorf("got %s, want a (channels, height, width) tuple", v)
	}
	for i := range 3 {
		n, err := starlark.AsInt32(it.Index(i))
		if err != nil || n < 1 {
			return fmt.Errorf("got %s, want three positive ints (channels, height, width)", v)
		}
		a.in[i] = n
	}
	return nil
}

func checkInitialLoss(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var m modelArg
	var d dataArg
	classes, images, seed := 10, 50, 0
	shape := shapeArg{[3]int{3, 32, 32}}
	reg, expect := math.NaN(), math.NaN()
	tol := 0.01
	if err := unpackArgs(b.Name(), args, kwargs, "model", &m, "data??", &d, "classes?", &classes,
		"images?", &images, "reg??", fl(&reg), "shape?", &shape, "expect??", fl(&expect), "tol?", fl(&tol), "seed?", &seed); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	fn := b.Name()
	if err := firstError(intAtLeast(fn, "classes", classes, 2), intAtLeast(fn, "images", images, 1), intAtLeast(fn, "seed", seed, 0)); err != nil {
		return nil, err
	}
	if !(tol >= 0) {
		return nil, fmt.Errorf("%s: for parameter tol: got %g, want >= 0", fn, tol)
	}
	if d.d != nil {
		shape.in, classes = d.d.in(), d.d.classes()
	}
	model := m.m
	if !math.IsNaN(reg) {
		if model, err = model.with(model.kind, map[string]starlark.Value{"reg": starlark.Float(reg)}); err != nil {
			return nil, fmt.Errorf("%s: for parameter reg: %v", fn, err)
		}
	}
	reg = model.reg
	spec, err := model.specFor(shape.in, classes, images)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}

	var loss float64
	err = recovered(fn, func() (err error) {
		loss, err = nn.InitialLoss(spec, shape.in, classes, images, uint64(seed))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}

	lnC := math.Log(float64(classes))
	what := fmt.Sprintf("%s: %d images %dx%dx%d, %d classes, reg=%g: loss %.6f", fn, images, shape.in[0], shape.in[1], shape.in[2], classes, reg, loss)
	switch {
	case math.IsNaN(loss) || math.IsInf(loss, 0):
		return nil, fmt.Errorf("%s, want a finite loss", what)
	case !math.IsNaN(expect) || reg == 0:
		name := fmt.Sprintf("%.6f", expect)
		if math.IsNaN(expect) {
			expect, name = lnC, fmt.Sprintf("ln(%d) = %.6f", classes, lnC)
		}
		if math.Abs(loss-expect) > tol {
			return nil, fmt.Errorf("%s, want %s ± %g", what, name, tol)
		}
		env.printCheck(fn, fmt.Sprintf("%s (want %s ± %g): ok", what, name, tol))
	default:
		if !(loss > lnC) {
			return nil, fmt.Errorf("%s, want above ln(%d) = %.6f (the L2 term adds to the data loss)", what, classes, lnC)
		}
		env.printCheck(fn, fmt.Sprintf("%s (want above ln(%d) = %.6f): ok", what, classes, lnC))
	}
	return starlark.Float(loss), nil
}

func gradientCheck(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var m modelArg
	shape := shapeArg{[3]int{3, 16, 16}}
	classes, inputs, seed := 10, 2, 0
	tol, step := 1e-5, math.NaN()
	if err := unpackArgs(b.Name(), args, kwargs, "model", &m, "shape?", &shape, "classes?", &classes,
		"inputs?", &inputs, "tol?", fl(&tol), "seed?", &seed, "step??", fl(&step)); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	fn := b.Name()
	if err := firstError(intAtLeast(fn, "classes", classes, 2), intAtLeast(fn, "inputs", inputs, 1), intAtLeast(fn, "seed", seed, 0)); err != nil {
		return nil, err
	}
	if !(tol > 0) {
		return nil, fmt.Errorf("%s: for parameter tol: got %g, want > 0", fn, tol)
	}
	if math.IsNaN(step) {
		step = 1e-5
		if m.m.init == nn.InitNormal {
			step = 1e-4 * m.m.scale
		}
	} else if !(step > 0) {
		return nil, fmt.Errorf("%s: for parameter step: got %g, want > 0", fn, step)
	}
	spec, err := m.m.specFor(shape.in, classes, inputs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	if env.CheckOnly {
		fmt.Fprintf(env.stdout(), "%s: %s on %dx%dx%d: not run in check mode\n", fn, m.m.kind, shape.in[0], shape.in[1], shape.in[2])
		return starlark.NewDict(0), nil
	}
	var errs []nn.ParamError
	err = recovered(fn, func() (err error) {
		errs, err = nn.CheckGradients(spec, shape.in, classes, inputs, uint64(seed), step)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", fn, err)
	}
	out := starlark.NewDict(len(errs))
	var bad, lines []string
	for _, pe := range errs {
		name, e := pe.Name, pe.Err
		verdict := "ok"
		if !(e <= tol) {
			verdict = "FAIL"
			bad = append(bad, fmt.Sprintf("%s (%.2e)", name, e))
		}
		line := fmt.Sprintf("%s: %-4s max relative error %.2e (tol %.0e): %s", fn, name, e, tol, verdict)
		if n := pe.Skipped; n > 0 {
			line += fmt.Sprintf(" (%d %s left out: on a ReLU or max-pool kink, where no step gives a derivative)", n, plural(n, "element", "elements"))
		}
		lines = append(lines, line)
		_ = out.SetKey(starlark.String(name), starlark.Float(e)) // string keys cannot fail
	}
	if out.Len() == 0 {
		return nil, fmt.Errorf("%s: the model has no parameters to check", fn)
	}
	// Printed and kept even when one fails: the others show how far off it is.
	env.printCheck(fn, lines...)
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: analytic and numeric gradients differ by more than %g for %s", fn, tol, strings.Join(bad, ", "))
	}
	out.Freeze()
	return out, nil
}

// plural returns one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func overfit(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var m modelArg
	var d dataArg
	var c configArg
	images := 100
	minTrain, minGap := 0.95, 0.10
	if err := unpackArgs(b.Name(), args, kwargs, "model", &m, "data", &d, "config", &c,
		"train_images?", &images, "min_train_acc?", fl(&minTrain), "min_gap?", fl(&minGap)); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	fn := b.Name()
	if err := intAtLeast(fn, "train_images", images, 1); err != nil {
		return nil, err
	}
	if images > d.d.splits.Train.N {
		return nil, fmt.Errorf("%s: for parameter train_images: got %d, but the data has %d training images", fn, images, d.d.splits.Train.N)
	}
	config, err := c.c.with(fn, map[string]starlark.Value{"train_images": starlark.MakeInt(images)})
	if err != nil {
		return nil, err
	}
	t, err := newTrial(fn, m.m, d.d, config, nil)
	if err != nil {
		return nil, err
	}
	t.label = fmt.Sprintf("overfit %d images", images)
	rs, err := runTrials(env, fn, "overfit", []*trial{t})
	if err != nil {
		return nil, err
	}
	r := rs[0]
	w := env.stdout()
	if env.CheckOnly {
		fmt.Fprintf(w, "%s: %d images, %d epochs: not trained in check mode\n", fn, images, config.conf.Epochs)
		return r, nil
	}
	res := r.rec.Result
	if res.Status != nn.StatusOK {
		return nil, fmt.Errorf("%s: training on %d images ended with status %q", fn, images, res.Status)
	}
	train, val := res.TrainAcc, res.ValAcc
	if n := len(res.TrainAccs); n > 0 && len(res.ValAccs) == n {
		train, val = res.TrainAccs[n-1], res.ValAccs[n-1]
	}
	// Labelled as the table columns that show the same figures; train_acc
	// and val_acc are the best epoch's, which may be another.
	what := fmt.Sprintf("%s: %d images, %d epochs: last_train_acc %.3f, last_val_acc %.3f (gap %.3f)", fn, images, config.conf.Epochs, train, val, train-val)
	if train < minTrain {
		return nil, fmt.Errorf("%s; want last_train_acc >= %g: the model cannot fit a small training set", what, minTrain)
	}
	if train-val < minGap {
		return nil, fmt.Errorf("%s; want a gap of at least %g: training on so few images should overfit", what, minGap)
	}
	env.printCheck(fn, what+": ok")
	return r, nil
}
