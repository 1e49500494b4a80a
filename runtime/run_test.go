package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// wantErr checks that err is a *UserError whose message contains every
// fragment and shows no Go internals.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragments)
	}
	var ue *UserError
	if !errors.As(err, &ue) {
		t.Errorf("error %T is not a *UserError", err)
	}
	msg := err.Error()
	t.Logf("message:\n%s", msg)
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("error message lacks %q:\n%s", f, msg)
		}
	}
	for _, bad := range []string{"goroutine ", "panic:", ".go:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("error message shows Go internals (%q):\n%s", bad, msg)
		}
	}
}

func TestLoadRelativeCachedAndFrozen(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{
		"p/main.star":  "load('lib/a.star', 'xs')\nload('lib/b.star', 'ys')\nprint(len(xs), len(ys))\n",
		"p/lib/a.star": "print('a runs')\nxs = [1, 2]\n",
		"p/lib/b.star": "load('a.star', 'xs')\nys = xs + [3]\n",
	}))
	out, err := runFile(t, "p/main.star", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out, "a runs\n2 3\n"; got != want {
		t.Errorf("output %q, want %q (a.star must run once, loads relative to the loading file)", got, want)
	}

	chdir(t, writeFiles(t, map[string]string{
		"main.star": "load('lib.star', 'xs')\nxs.append(3)\n",
		"lib.star":  "xs = [1, 2]\n",
	}))
	_, err = runFile(t, "main.star", Options{})
	wantErr(t, err, "main.star:2:10", "frozen")
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing", map[string]string{"main.star": "x = 1\nload('lib/nope.star', 'y')\n"},
			[]string{"main.star:2:1", "cannot load lib/nope.star: no such file /", "/lib/nope.star (a load path is relative to the folder of the file that loads it)"}}, // the absolute path tried; see load_missing.txtar for a path resolved elsewhere
		{"cycle", map[string]string{
			"a.star": "load('b.star', 'y')\nx = 1\n",
			"b.star": "load('a.star', 'x')\ny = 2\n",
		}, []string{"b.star:1:1", "load cycle: a.star → b.star → a.star"}},
		{"not star", map[string]string{"a.star": "load('/etc/passwd', 'x')\n"},
			[]string{"a.star:1:1", "only .star files can be loaded"}},
		{"syntax error in loaded file", map[string]string{
			"a.star":     "load('lib/b.star', 'y')\n",
			"lib/b.star": "y = (1,\n",
		}, []string{"a.star:1:1", "lib/b.star:2:1"}},
		{"error inside loaded file", map[string]string{
			"a.star":     "load('lib/b.star', 'y')\n",
			"lib/b.star": "y = 1 // 0\n",
		}, []string{"a.star:1:1", "lib/b.star:1:7", "division by zero"}},
		{"name not in module", map[string]string{
			"a.star": "load('b.star', 'z')\n",
			"b.star": "y = 1\n",
		}, []string{"a.star:1:1", "name z not found in module b.star"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chdir(t, writeFiles(t, tc.files))
			file := "main.star"
			if _, ok := tc.files[file]; !ok {
				file = "a.star"
			}
			_, err := runFile(t, file, Options{})
			wantErr(t, err, tc.want...)
		})
	}
}

func TestEvalErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"syntax", "x = 1\ny = [1, 2\n", []string{"main.star:3:1", "got end of file"}},
		{"undefined name", "x = 1\nprint(yy)\n", []string{"main.star:2:7", "undefined: yy"}},
		{"wrong argument", "trials(seeds = 3)\n", []string{"main.star:1:7", "trials", "seeds"}},
		{"unknown keyword", "trials([1], sedes = 2)\n", []string{"main.star:1:7", "unexpected keyword argument \"sedes\""}},
		{"builtin error", "x = 1\nfail('no such class')\n", []string{"main.star:2:5", "Error in fail: no such class"}},
		{"builtin name once", "x = len(1, 2)\n", []string{"main.star:1:8", "Error in len: got 2 arguments"}},
		{"recursion", "def f(n):\n    return f(n + 1)\nf(0)\n", []string{"main.star:2:13", "called recursively"}},
		{"runaway", "x = 0\nwhile True:\n    x += 1\n", []string{"main.star:", "ran away"}},
		{"panic in builtin", "x = 1\nboom()\n", []string{"main.star:2:5", "internal error", "index out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chdir(t, writeFiles(t, map[string]string{"main.star": tc.src}))
			_, err := runFile(t, "main.star", Options{MaxSteps: 100_000})
			wantErr(t, err, tc.want...)
		})
	}
}

// TestDefaultStepLimitStopsRunaway pins the shipped limit: a runaway loop
// must end with the ran-away message rather than hang.
func TestDefaultStepLimitStopsRunaway(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates 1e8 steps")
	}
	chdir(t, writeFiles(t, map[string]string{"main.star": "while True:\n    pass\n"}))
	_, err := runFile(t, "main.star", Options{})
	wantErr(t, err, "main.star:", "ran away", "100000000")
}

func TestParams(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{
		"main.star": "epochs = param('epochs', 1)\nlr = param('lr', 0.1)\nprint(epochs, lr)\n",
		"none.star": "x = 1\n",
	}))
	out, err := runFile(t, "main.star", Options{Params: map[string]string{"epochs": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	if out != "3 0.1\n" {
		t.Errorf("output %q, want the -p override and the default", out)
	}
	_, err = runFile(t, "main.star", Options{Params: map[string]string{"epochs": "3", "epoch": "2", "seed": "1"}})
	wantErr(t, err, "main.star", "unknown parameters -p epoch, -p seed (did you mean -p epochs for -p epoch? it declares epochs, lr)")
	_, err = runFile(t, "none.star", Options{Params: map[string]string{"x": "1"}})
	wantErr(t, err, "none.star", "unknown parameter -p x", "declares no parameters")
}

// TestUnknownParamStopsBeforeTraining: a misspelt -p must not cost a sweep.
func TestUnknownParamStopsBeforeTraining(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{
		"main.star": "epochs = param('epochs', 1)\ntrials([1, 2])\nlate = param('late', 0)\n",
	}))
	ft := &fakeTrain{}
	_, err := runFile(t, "main.star", Options{Params: map[string]string{"epoch": "3"}, Train: ft.train})
	wantErr(t, err, "main.star: unknown parameter -p epoch (did you mean -p epochs? it declares epochs before its first train or sweep)")
	if strings.Contains(err.Error(), "Traceback") {
		t.Errorf("a command-line problem should not show a traceback:\n%v", err)
	}
	if ft.count() != 0 {
		t.Errorf("trained %d trials despite the unknown parameter", ft.count())
	}
	// A parameter declared after the first sweep is an error, in check mode
	// as in a run: the early check cannot know it will come.
	for _, check := range []bool{false, true} {
		_, err = runFile(t, "main.star", Options{Params: map[string]string{"late": "1"}, Train: ft.train, CheckOnly: check})
		wantErr(t, err, "unknown parameter -p late")
	}
}

// TestCancelStopsEvaluation: Ctrl-C stops Starlark code that is running,
// here an endless loop entered after the pipeline itself cancels the run
// (no sleep: the cancel is certain to come while evaluation is under way).
func TestCancelStopsEvaluation(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"main.star": "interrupt()\nwhile True:\n    pass\n"}))
	ctx, cancel := context.WithCancel(context.Background())
	pre := testPredeclared()
	pre["interrupt"] = starlark.NewBuiltin("interrupt", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		cancel()
		return starlark.None, nil
	})
	err := Run(ctx, Options{File: "main.star", Predeclared: pre, Store: newMemStore()})
	wantErr(t, err, "interrupted: 0 of 0 trials finished and saved")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestDefaultOutDir(t *testing.T) {
	if got, want := DefaultOutDir("pipelines/filter_size.star"), "out/filter_size"; got != want {
		t.Errorf("DefaultOutDir = %q, want %q", got, want)
	}
}

// TestPanicKeepsStack: a panic in a builtin is an InternalError at the
// user's call that keeps the Go stack for PIPE_DEBUG=1.
func TestPanicKeepsStack(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"main.star": "boom()\n"}))
	_, err := runFile(t, "main.star", Options{})
	var ie *InternalError
	if !errors.As(err, &ie) || len(ie.Stack) == 0 {
		t.Fatalf("error %v, want an InternalError with a stack", err)
	}
	wantErr(t, err, "main.star:1:5", "a bug in pipe")
}

// TestPanicInMethodKeepsStack: a panic in a function that is not a
// predeclared builtin (a method of a returned value) is caught by the last
// line of defence, naming the file and keeping the stack for PIPE_DEBUG=1.
func TestPanicInMethodKeepsStack(t *testing.T) {
	chdir(t, writeFiles(t, map[string]string{"main.star": "obj.boom()\n"}))
	pre := testPredeclared()
	pre["obj"] = starlarkstruct.FromStringDict(starlarkstruct.Default, starlark.StringDict{
		"boom": starlark.NewBuiltin("boom", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
			panic("method bug")
		}),
	})
	err := Run(context.Background(), Options{File: "main.star", Predeclared: pre, Store: newMemStore()})
	var ie *InternalError
	if !errors.As(err, &ie) || len(ie.Stack) == 0 {
		t.Fatalf("error %v, want an InternalError with a stack", err)
	}
	wantErr(t, err, "main.star", "a bug in pipe", "method bug")
}
