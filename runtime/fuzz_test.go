package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzCheck runs arbitrary bytes as a pipeline file through the pipe check
// path (evaluation with the real builtins, nothing trained): whatever the
// bytes, Run must return nil or a *UserError ready to print, never panic
// and never report an *InternalError (a bug in pipe). Limits are small so
// that every input ends quickly: a loop that never ends is a step-limit
// error, not a stalled fuzzer.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"x = 1\nprint(x)\n",
		"x = 1\n\x00\x00\nprint(2)\n",
		"print(\"caf\xff\")\n",
		"x = list(range(2000000000))\n",
		"data = dataset(\"fashion-mnist\", classes = [\"T-shirt/top\", \"Shirt\"], validation = 50)\n" +
			"m = sequential([conv(2, 3), relu(), max_pool(2), affine(2)])\n" +
			"cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 1, batch_size = 50, train_images = 100)\n" +
			"runs = sweep(m, data, cfg, grid = {\"lr\": [1e-3, 1e-2]})\n" +
			"table(runs, title = \"t\", columns = [\"lr\", \"val_acc\"])\nplot(runs, metric = \"loss\")\nreport(title = \"r\")\n",
		"r = train(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), dataset(\"fashion-mnist\"), train_config(epochs = 1000000000))\n",
		"check_initial_loss(three_layer_convnet(num_filters = 2, filter_size = 3, hidden_dim = 4), reg = 0.0, classes = 2, images = 10, shape = (1, 8, 8), tol = 0.05)\n",
		"load(\"lib.star\", \"x\")\n",
		"def f(n):\n    return f(n + 1)\nf(0)\n",
		"train(sequential([affine(2)]), dataset(\"fashion-mnist\"), train_config(), label = \"\\033[2J\")\n",
		"p = param(\"epochs\", 1)\nprint(p * 2)\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "fuzz.star")
		if err := os.WriteFile(file, src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := Run(ctx, Options{
			File:        file,
			OutDir:      filepath.Join(dir, "out", "fuzz"),
			CheckOnly:   true,
			Store:       newMemStore(),
			MaxSteps:    100_000,
			MaxMemory:   512 << 20,
			EvalTimeout: 5 * time.Second,
		})
		if err == nil {
			return
		}
		var ue *UserError
		if !errors.As(err, &ue) {
			t.Fatalf("error %T is not a *UserError: %v", err, err)
		}
		var ie *InternalError
		if errors.As(err, &ie) {
			t.Fatalf("internal error for %q: %v\n%s", src, ie, ie.Stack)
		}
	})
}
