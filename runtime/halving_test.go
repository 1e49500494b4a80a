package runtime

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// TestHalvingTrainsNoEpochTwice: halving's promoted candidates continue
// from the state their previous rung saved, so every epoch is trained
// once: rung 1 starts 4 trials at epoch 1, rung 2 continues 2 of them from
// epoch 1, rung 3 continues 1 from epoch 2, and the epochs trained add up
// to what halving prints (8, against 16 for every candidate to 4 epochs).
// A second run trains nothing.
func TestHalvingTrainsNoEpochTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "halving.star")
	src := `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(4, 3), relu(), max_pool(2), dropout(0.3), affine(8), relu(), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), batch_size = 25, train_images = 150)
runs = halving(model, data, cfg, space = {"lr": log_uniform(1e-4, 1e-2)}, trials = 4, min_epochs = 1, max_epochs = 4, eta = 2)
table(runs, columns = ["lr", "epochs", "val_acc"])
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "out")
	run := func() (*startObserver, string) {
		obs := &startObserver{}
		var out strings.Builder
		err := Run(context.Background(), Options{File: file, OutDir: OutDir(root, file), Jobs: 2, Store: &results.Cache{Dir: root}, Observer: obs, Stdout: &out})
		if err != nil {
			t.Fatal(err)
		}
		return obs, out.String()
	}
	obs, out := run()
	m := regexp.MustCompile(`halving: 4 candidates, rungs 4×1, 2×2, 1×4: (\d+) epochs to train with continuation, 16 to train every candidate to 4 epochs`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output:\n%s", out)
	}
	printed, _ := strconv.Atoi(m[1])
	from := map[int][]int{} // epochs of the trial → where each started
	trained := 0
	for _, s := range obs.started {
		var epochs int
		for _, k := range []int{1, 2, 4} {
			if strings.HasSuffix(s.Group, "("+strconv.Itoa(k)+" epochs)") {
				epochs = k
			}
		}
		from[epochs] = append(from[epochs], s.From)
		trained += epochs - s.From
	}
	want := map[int][]int{1: {0, 0, 0, 0}, 2: {1, 1}, 4: {2}}
	for k, w := range want {
		if len(from[k]) != len(w) || !allEqual(from[k], w[0]) {
			t.Errorf("%d-epoch trials started from epochs %v, want %v", k, from[k], w)
		}
	}
	if trained != 8 || printed != 8 {
		t.Errorf("trained %d epochs, printed %d; want 8 both", trained, printed)
	}
	if obs, _ := run(); len(obs.started) != 0 {
		t.Errorf("second run trained %d trials", len(obs.started))
	}
}

func allEqual(xs []int, v int) bool {
	for _, x := range xs {
		if x != v {
			return false
		}
	}
	return true
}
