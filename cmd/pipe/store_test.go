package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

const exportStar = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = three_layer_convnet(num_filters = 4, filter_size = 3, hidden_dim = 8)
r = train(model, data, train_config(epochs = 2, train_images = 200), label = "net")
export(r, "model.safetensors")
ev = evaluate(r, data)
if ev.accuracy != r.test_acc:
    fail("evaluate accuracy %s, test_acc %s" % (ev.accuracy, r.test_acc))
print("evaluated", ev.images, "images, classes", ev.classes, "loss", ev.loss)
table(ev)
plot(ev)
plot(ev, metric = "misclassified")

# Warm starts: from r's kept weights, and from the file export wrote of
# them, train the same (other keys, equal histories); a random start differs.
one = train_config(epochs = 1, train_images = 200)
cold = train(model, data, one, label = "cold")
warm = train(model, data, one, label = "warm", init_from = r)
file = train(model, data, one, label = "file", init_from = weights("o/exp/model.safetensors"))
if warm.history.loss != file.history.loss or warm.key == file.key or warm.key == cold.key:
    fail("warm starts: %s %s %s" % (warm.key, file.key, cold.key))
if warm.history.loss[0] == cold.history.loss[0]:
    fail("a warm start began like a random one")
print("warm start first loss", warm.history.loss[0], "cold", cold.history.loss[0])
`

// TestExportDuGC trains a trial, exports it from the pipeline and with pipe
// export (the same bytes), and checks what pipe du reports and what pipe gc
// removes: states by default, weights with --keep records, never records.
func TestExportDuGC(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("exp.star", []byte(exportStar), 0o644); err != nil {
		t.Fatal(err)
	}
	pipe := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := pipeMain(args, &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errs, code := pipe("run", "exp.star", "--out", "o")
	if code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"evaluated 2000 images, classes", "accuracy by class", "T-shirt/top", "as Shirt", "test-confusion.png", "test-misclassified.png", "warm start first loss"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"net-test-confusion.png", "net-test-confusion.svg", "net-test-misclassified.png"} {
		if fi, err := os.Stat(filepath.Join("o", "exp", "figures", f)); err != nil || fi.Size() < 1000 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
	if evals, _ := filepath.Glob(filepath.Join("o", "evals", "*.json")); len(evals) != 1 {
		t.Errorf("%d cached evaluations, want 1", len(evals))
	}
	// Again: everything cached, the same output.
	again, errs, code := pipe("run", "exp.star", "--out", "o")
	if code != 0 || !strings.Contains(again, "evaluated 2000 images") {
		t.Errorf("second run: %d\n%s%s", code, again, errs)
	}
	recs, err := (&results.Cache{Dir: "o"}).List()
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records: %v", len(recs), err)
	}
	var key string
	for _, r := range recs {
		if r.Trial.Train.Epochs == 2 {
			key = r.Key
		}
	}
	out, errs, code = pipe("export", key, "cli.safetensors", "--out", "o")
	if code != 0 || !strings.Contains(out, "wrote cli.safetensors (6 tensors") {
		t.Fatalf("export: %d %q %q", code, out, errs)
	}
	a, _ := os.ReadFile("cli.safetensors")
	b, _ := os.ReadFile(filepath.Join("o", "exp", "model.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("pipe export and export() wrote different files (%d and %d bytes)", len(a), len(b))
	}

	out, _, code = pipe("du", "--out", "o")
	for _, want := range []string{`trials +4 files`, `state +4 files`, `weights +4 files`, `evals +1 files`, `total +13 files`} {
		if code != 0 || !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("du lacks %q:\n%s", want, out)
		}
	}
	out, _, code = pipe("gc", "--out", "o")
	if code != 0 || !strings.Contains(out, "removed "+filepath.Join("o", "state", key+".safetensors")) || !strings.Contains(out, "freed ") || strings.Contains(out, "weights") {
		t.Errorf("gc: %d\n%s", code, out)
	}
	if _, _, code := pipe("export", key, "again.safetensors", "--out", "o"); code != 0 {
		t.Errorf("export after gc failed: the weights must stay")
	}
	out, _, code = pipe("gc", "--keep", "records", "--out", "o")
	if code != 0 || !strings.Contains(out, filepath.Join("o", "weights", key+".safetensors")) || !strings.Contains(out, "in 4 files") {
		t.Errorf("gc --keep records: %d\n%s", code, out)
	}
	if recs, _ := (&results.Cache{Dir: "o"}).List(); len(recs) != 4 {
		t.Errorf("gc removed a record")
	}
	_, errs, code = pipe("export", key, "x.safetensors", "--out", "o")
	if code != 1 || !strings.Contains(errs, "no weights of trial "+key) {
		t.Errorf("export without weights: %d %q", code, errs)
	}
	for _, c := range [][]string{{"gc", "--keep", "all"}, {"gc", "--max-size", "-1"}, {"export", key}, {"du", "x"}} {
		if _, errs, code := pipe(c...); code != 2 || errs == "" {
			t.Errorf("pipe %v: exit %d, stderr %q; want 2 and a message", c, code, errs)
		}
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"1": 1, "500M": 500 << 20, "1.5G": 3 << 29, "2K": 2048} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0", "-1", "G", "1T", "NaN"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q) accepted", s)
		}
	}
}
