package runtime

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pipe-ml/pipe/results"
)

// TestRecordsIndependentOfJobs trains a small real sweep (with dropout, so
// every random stream is used) with 1 and with 2 workers, through the real
// builtins, nn and cache, and checks that the saved records are identical
// once the timing fields are dropped, and so are the tables rendered from them.
func TestRecordsIndependentOfJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small sweep twice")
	}
	const src = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(4, 3), relu(), max_pool(2), dropout(0.3), affine(8), relu(), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = 2, batch_size = 25, train_images = 150)
runs = sweep(model, data, cfg, grid = {"lr": [1e-3, 3e-3]}, seeds = [0, 1])
table(runs, title = "det", columns = ["lr", "train_acc", "val_acc", "test_acc", "loss"])
`
	dir := t.TempDir()
	file := filepath.Join(dir, "det.star")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var got [][]results.Record
	var tables []string
	for _, jobs := range []int{1, 2} {
		root := filepath.Join(dir, "out", string(rune('0'+jobs)))
		out := OutDir(root, file)
		if err := Run(context.Background(), Options{File: file, OutDir: out, Jobs: jobs}); err != nil {
			t.Fatalf("--jobs %d: %v", jobs, err)
		}
		recs, err := (&results.Cache{Dir: root}).List()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 4 {
			t.Fatalf("--jobs %d saved %d records, want 4", jobs, len(recs))
		}
		for _, r := range recs {
			if r.Filters == nil || r.Filters.Shape != [4]int{4, 1, 3, 3} {
				t.Errorf("record %s keeps no 4x1x3x3 first-layer filters: %v", r.Key, r.Filters)
			}
		}
		got = append(got, timeless(recs))
		md, err := os.ReadFile(filepath.Join(out, "tables", "det.md"))
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, string(md))
	}
	if tables[0] != tables[1] {
		t.Errorf("tables differ between --jobs 1 and 2:\n%s\n%s", tables[0], tables[1])
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		for i := range got[0] {
			if !reflect.DeepEqual(got[0][i], got[1][i]) {
				t.Errorf("record %s differs between --jobs 1 and 2:\n%+v\n%+v", got[0][i].Key, got[0][i].Result, got[1][i].Result)
			}
		}
	}
}
