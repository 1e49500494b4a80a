package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pipe-ml/pipe/nn"
	"github.com/pipe-ml/pipe/results"
)

// startObserver keeps what TrialStarted and the first TrialProgress of each
// trial said.
type startObserver struct {
	NopObserver
	mu      sync.Mutex
	started []TrialInfo
	first   []nn.Progress
}

func (o *startObserver) TrialStarted(t TrialInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, t)
}

func (o *startObserver) TrialProgress(t TrialInfo, p nn.Progress) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.first) < len(o.started) {
		o.first = append(o.first, p)
	}
}

const continueSrc = `data = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 50)
model = sequential([conv(4, 3), relu(), max_pool(2), dropout(0.3), affine(8), relu(), affine(2)])
cfg = train_config(optimizer = adam(lr = 1e-3), epochs = param("epochs", 1), batch_size = 25, train_images = 150, lr_decay = 0.9)
r = train(model, data, cfg, label = "net")
`

// runContinue runs continueSrc for epochs in the store under root and
// returns the record, what the run printed and what the observer saw.
func runContinue(t *testing.T, dir, root string, epochs string) (results.Record, string, *startObserver) {
	t.Helper()
	file := filepath.Join(dir, "cont.star")
	if err := os.WriteFile(file, []byte(continueSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	obs := &startObserver{}
	var out strings.Builder
	c := &results.Cache{Dir: root}
	err := Run(context.Background(), Options{File: file, OutDir: OutDir(root, file), Jobs: 1, Store: c, Observer: obs, Stdout: &out, Stderr: &out,
		Params: map[string]string{"epochs": epochs}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Trial.Train.Epochs == int(epochs[0]-'0') {
			return r, out.String(), obs
		}
	}
	t.Fatalf("no %s-epoch record in %v", epochs, recs)
	return results.Record{}, "", nil
}

func sameRecord(t *testing.T, what string, a, b results.Record) {
	t.Helper()
	x, _ := json.Marshal(a.WithoutTiming())
	y, _ := json.Marshal(b.WithoutTiming())
	if !bytes.Equal(x, y) {
		t.Errorf("%s: records differ:\n%s\n%s", what, x, y)
	}
}

// TestContinueFromShorterTrial: a 3-epoch trial after the same 1-epoch
// trial trains only epochs 2 and 3 and writes the record a from-scratch
// 3-epoch run writes, byte for byte but for timings. A damaged state is
// ignored with a warning and the trial trains from epoch 1 to the same
// record.
func TestContinueFromShorterTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	dir := t.TempDir()
	fresh, _, obs := runContinue(t, dir, filepath.Join(dir, "fresh"), "3")
	if obs.started[0].From != 0 || obs.first[0].Iter != 1 {
		t.Fatalf("fresh run started at %+v", obs.first[0])
	}
	shared := filepath.Join(dir, "shared")
	one, _, _ := runContinue(t, dir, shared, "1")
	c := &results.Cache{Dir: shared}
	if _, ok, err := c.GetWeights(one.Key); !ok || err != nil {
		t.Errorf("no weights kept for the 1-epoch trial: %v", err)
	}
	if st, ok, err := c.GetState(one.Key); !ok || err != nil || st.Epoch != 1 {
		t.Fatalf("no epoch-1 state kept for the 1-epoch trial: %v", err)
	}
	cont, _, obs := runContinue(t, dir, shared, "3")
	if obs.started[0].From != 1 || obs.first[0].Epoch != 2 || obs.first[0].Iter != 7 {
		t.Errorf("continued run started with %+v at %+v; want from epoch 1, first iteration 7 of epoch 2", obs.started[0], obs.first[0])
	}
	sameRecord(t, "continued vs fresh", cont, fresh)

	// Damage the 1-epoch state: the 3-epoch trial (its own record and state
	// removed) warns and trains from scratch to the same record.
	p := filepath.Join(shared, results.StatesDir, one.Key+".safetensors")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o644)
	os.Remove(filepath.Join(shared, results.TrialsDir, cont.Key+".json"))
	os.Remove(filepath.Join(shared, results.StatesDir, cont.Key+".safetensors"))
	again, out, obs := runContinue(t, dir, shared, "3")
	if obs.started[0].From != 0 || !strings.Contains(out, "warning: saved state of net is unusable, ignoring it") || !strings.Contains(out, "checksum mismatch") {
		t.Errorf("damaged state: started %+v, output:\n%s", obs.started[0], out)
	}
	sameRecord(t, "retrained vs fresh", again, fresh)
}
