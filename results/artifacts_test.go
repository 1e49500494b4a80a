package results

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn"
)

const stateKey = "0123456789abcdef0123456789abcdef"

// testState is a State with every field set; best says whether the best
// epoch is an earlier one (stored apart).
func testState(best bool) *nn.State {
	st := &nn.State{Epoch: 2, LR: 1e-3 * 0.9, Order: []int{2, 0, 1},
		Result: nn.Result{Status: nn.StatusOK, Loss: []float64{2.3, 1.1, 0.7, 0.1 + 0.2}, TrainAccs: []float64{0.5, 0.75}, ValAccs: []float64{0.5, 0.625},
			BestEpoch: 2, TrainAcc: 0.75, ValAcc: 0.625},
		RNG:    nn.RNGState{Shuffle: []byte("pcg:1234567890abcdef"), Sample: []byte("pcg:abcdefabcdefabcd"), Dropout: []byte("pcg:0000000011111111")},
		Params: [][]float32{{1, -2, 3.5, 1e-30}, {0.25}},
		Optim:  nn.OptimState{Step: 4, Slots: map[string][][]float32{"m": {{1, 2, 3, 4}, {5}}, "v": {{0, 0, 1, 1}, {-0}}}},
	}
	st.Best = [][]float32{{1, -2, 3.5, 1e-30}, {0.25}}
	if best {
		st.Result.BestEpoch, st.Result.TrainAcc, st.Result.ValAcc = 1, 0.5, 0.5
		st.Result.ValAccs[1] = 0.25
		st.Best = [][]float32{{7, 8, 9, 10}, {11}}
	}
	return st
}

func TestStateRoundTrip(t *testing.T) {
	for _, best := range []bool{false, true} {
		c := &Cache{Dir: t.TempDir()}
		want := testState(best)
		if err := c.PutState(stateKey, want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := c.GetState(stateKey)
		if err != nil || !ok {
			t.Fatalf("GetState: %v %v", ok, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("best apart %v: state changed through the store:\n got %+v\nwant %+v", best, got, want)
		}
		if _, ok, err := c.GetState(strings.Repeat("1", 32)); ok || err != nil {
			t.Errorf("absent state: ok %v err %v", ok, err)
		}
	}
}

// stateFile is the file PutState writes for st.
func stateFile(tb testing.TB, st *nn.State) []byte {
	tb.Helper()
	c := &Cache{Dir: tb.TempDir()}
	if err := c.PutState(stateKey, st); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(c.artifactPath(StatesDir, stateKey))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestStateFileBytes pins the bytes of a state file: a store's states are
// read back by later versions, so an encoder change must not move a bit.
func TestStateFileBytes(t *testing.T) {
	for best, want := range map[bool]string{
		false: "5358e7e7bbf3ae7e5fddc7f419c6b24794adbdfd8e10211d8d37f890f6810d55",
		true:  "799162a5b0cf9d7f63d4ca4ab15de8aaed4467b0cd489d2e178e66282c56987a",
	} {
		if got := fmt.Sprintf("%x", sha256.Sum256(stateFile(t, testState(best)))); got != want {
			t.Errorf("best apart %v: state file's SHA-256 %s, want %s", best, got, want)
		}
	}
}

// TestStateStreams: writing a state streams it to the file, without
// building the file (or a copy of the state) in memory first; reading it
// streams the file into the state's tensors.
func TestStateStreams(t *testing.T) {
	const n = 1 << 20 // 4 MB a tensor, 20 MB of state
	big := func(seed float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = seed + float32(i)
		}
		return v
	}
	st := testState(true)
	st.Params[0], st.Best[0] = big(1), big(2)
	st.Optim.Slots["m"][0], st.Optim.Slots["v"][0] = big(3), big(4)
	c := &Cache{Dir: t.TempDir()}
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	if err := c.PutState(stateKey, st); err != nil {
		t.Fatal(err)
	}
	goruntime.ReadMemStats(&after)
	if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
		t.Errorf("PutState of a %d MB state allocated %.1f MB, want < 1 MB", 16*n>>20, float64(a)/(1<<20))
	}
	// Reading it back allocates the tensors it returns (16 MB) and a
	// buffer, not the file's bytes besides.
	goruntime.ReadMemStats(&before)
	got, ok, err := c.GetState(stateKey)
	goruntime.ReadMemStats(&after)
	if !ok || err != nil || !reflect.DeepEqual(got, st) {
		t.Fatalf("large state changed through the store (ok %v, %v)", ok, err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 16*n+1<<20 {
		t.Errorf("GetState of a %d MB state allocated %.1f MB, want < %d MB", 16*n>>20, float64(a)/(1<<20), 16*n>>20+1)
	}
}

// TestArtifactsDamaged: a torn, bit-flipped, renamed or foreign file is an
// error naming it, never a state or weights.
func TestArtifactsDamaged(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	if err := c.PutState(stateKey, testState(true)); err != nil {
		t.Fatal(err)
	}
	p := c.artifactPath(StatesDir, stateKey)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, b []byte, key, want string) {
		t.Helper()
		if err := os.WriteFile(c.artifactPath(StatesDir, key), b, 0o644); err != nil {
			t.Fatal(err)
		}
		st, ok, err := c.GetState(key)
		if ok || st != nil || err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), filepath.Base(c.artifactPath(StatesDir, key))) {
			t.Errorf("%s: ok %v, error %v; want one naming the file and saying %q", name, ok, err, want)
		}
	}
	for _, n := range []int{0, 5, 8, 100, len(good) / 2, len(good) - 1} {
		check("truncated", good[:n], stateKey, "torn")
	}
	for i := 0; i < len(good); i += 7 {
		b := bytes.Clone(good)
		b[i] ^= 0x10
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.GetState(stateKey); ok || err == nil {
			t.Fatalf("flipped bit in byte %d went unnoticed", i)
		}
	}
	other := strings.Repeat("a", 32)
	check("renamed", good, other, "file renamed or copied")
	w := Weights{Key: stateKey, Model: nn.ThreeLayerConvNet(nn.DefaultThreeLayer()), Input: [3]int{1, 2, 2},
		Tensors: []Tensor{{Name: "W1", Shape: []int{1}, F32: []float32{1}}}}
	wp := filepath.Join(t.TempDir(), "w.safetensors")
	if err := WriteWeights(wp, w); err != nil {
		t.Fatal(err)
	}
	wb, err := os.ReadFile(wp)
	if err != nil {
		t.Fatal(err)
	}
	check("weights as state", wb, stateKey, `holds "weights", want state`)
	b := bytes.Replace(good, []byte(`"pipe.numerics":"`+NumericsVersion+`"`), []byte(`"pipe.numerics":"0"`), 1)
	check("old numerics, checksum broken", b, stateKey, "checksum mismatch")
}

func TestWeightsRoundTrip(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	m, err := nn.Build[float32](nn.ThreeLayerConvNet(nn.ThreeLayerConfig{NumFilters: 2, FilterSize: 3, HiddenDim: 4, WeightScale: 1}), [3]int{1, 4, 4}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Key: stateKey, Trial: Trial{Data: DataSpec{Name: "fashion-mnist", Classes: []string{"T-shirt/top", "Shirt"}, Validation: 5, SplitSeed: -1}},
		Result: nn.Result{TestAcc: 0.8125}}
	w := NewWeights(rec, m)
	if err := c.PutWeights(w); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.GetWeights(stateKey)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("weights changed through the store:\n got %+v\nwant %+v", got, w)
	}
	var names []string
	for _, t := range got.Tensors {
		names = append(names, fmt.Sprint(t.Name, t.Shape))
	}
	if s := strings.Join(names, " "); s != "W1[2 1 3 3] b1[2] W2[8 4] b2[4] W3[4 2] b3[2]" {
		t.Errorf("tensors %s", s)
	}
}

// FuzzGetState feeds arbitrary bytes to the state reader: nothing may
// panic, and only the exact file PutState wrote may be accepted.
func FuzzGetState(f *testing.F) {
	good := stateFile(f, testState(true))
	f.Add(good)
	f.Add(good[:len(good)/2])
	var plain bytes.Buffer
	writeTensors(&plain, []Tensor{{Name: "x", Shape: []int{2}, F32: []float32{1, 2}}}, map[string]string{"a": "b"})
	f.Add(plain.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &Cache{Dir: t.TempDir()}
		os.MkdirAll(filepath.Join(c.Dir, StatesDir), 0o755)
		if err := os.WriteFile(c.artifactPath(StatesDir, stateKey), b, 0o644); err != nil {
			t.Fatal(err)
		}
		st, ok, err := c.GetState(stateKey)
		if ok != (err == nil && st != nil) {
			t.Fatalf("ok %v with state %v and error %v", ok, st != nil, err)
		}
		if ok && !bytes.Equal(b, good) {
			t.Fatalf("accepted a changed file")
		}
		decodeTensors(b) // must not panic either
	})
}
