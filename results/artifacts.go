package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/nn"
)

// Beside trials/<key>.json the store keeps two kinds of artifact per trial,
// both safetensors files sealed with a checksum (see tensors.go):
//
//	state/<key>.safetensors    the run at its last epoch (nn.State): what a
//	                           longer run of the same trial continues from,
//	                           and the epoch-end checkpoint of an unfinished
//	                           trial, so an interrupted run resumes there
//	weights/<key>.safetensors  the best-validation parameters: what evaluate
//	                           reads and export copies
//
// Neither is ever trusted unchecked: a file whose checksum, key or contents
// do not match is reported as an error, and callers ignore it (with a
// warning) and train again.
const (
	StatesDir  = "state"
	WeightsDir = "weights"
)

// Metadata entries of artifact files.
const (
	metaKind     = "pipe.kind"     // "state" or "weights"
	metaKey      = "pipe.key"      // the trial's key
	metaNumerics = "pipe.numerics" // NumericsVersion
	metaState    = "pipe.state"    // JSON of stateMeta
	metaModel    = "pipe.model"    // JSON of the nn.ModelSpec
	metaInput    = "pipe.input"    // "C,H,W" of the images
	metaData     = "pipe.data"     // JSON of the DataSpec
	metaTestAcc  = "pipe.test_acc" // test accuracy of the weights
)

// artifactPath is where the artifact of kind (StatesDir or WeightsDir) of
// key lives.
func (c *Cache) artifactPath(kind, key string) string {
	return filepath.Join(c.root(), kind, key+".safetensors")
}

// root is the output root: Dir, or the parent of RecordsDir.
func (c *Cache) root() string {
	if c.RecordsDir != "" {
		return filepath.Dir(filepath.Clean(c.RecordsDir))
	}
	return c.Dir
}

// stateMeta is the part of an nn.State that is not a tensor.
type stateMeta struct {
	Epoch  int         `json:"epoch"`
	LR     float64     `json:"lr"`
	Result resultJSON  `json:"result"`
	RNG    nn.RNGState `json:"rng"`
	Step   int         `json:"optim_step"`
	Slots  []string    `json:"optim_slots"`
	Best   bool        `json:"best"` // best parameters stored apart (false: they are the current ones)
}

// PutState writes the state of the trial key atomically, replacing any
// earlier one (a checkpoint is replaced by the next, and by the final state).
func (c *Cache) PutState(key string, st *nn.State) error {
	if !validKey(key) {
		return fmt.Errorf("results: cannot store state with invalid key %q", key)
	}
	m := stateMeta{Epoch: st.Epoch, LR: st.LR, Result: newResultJSON(st.Result), RNG: st.RNG, Step: st.Optim.Step}
	var ts []Tensor
	add := func(prefix string, vals [][]float32) {
		for i, v := range vals {
			ts = append(ts, Tensor{Name: prefix + strconv.Itoa(i), Shape: []int{len(v)}, F32: v})
		}
	}
	add("params.", st.Params)
	// The best epoch is often the last: then its parameters are the
	// current ones and are not stored twice.
	if m.Best = st.Result.BestEpoch != st.Epoch; m.Best {
		add("best.", st.Best)
	}
	for name := range st.Optim.Slots {
		m.Slots = append(m.Slots, name)
	}
	sort.Strings(m.Slots)
	for _, name := range m.Slots {
		add("optim."+name+".", st.Optim.Slots[name])
	}
	order := make([]int32, len(st.Order))
	for i, v := range st.Order {
		order[i] = int32(v)
	}
	ts = append(ts, Tensor{Name: "order", Shape: []int{len(order)}, I32: order})
	mj, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("results: encoding state %s: %w", key, err)
	}
	meta := map[string]string{metaKind: "state", metaKey: key, metaNumerics: NumericsVersion, metaState: string(mj)}
	return c.putArtifact(StatesDir, key, func(f *os.File) error { return writeSealed(f, ts, meta) })
}

// GetState returns the state of the trial key, ok=false when there is none.
// A file that is torn, edited, of another key or another numerics version
// is an error naming it; nn.Train checks that the state fits the run.
func (c *Cache) GetState(key string) (*nn.State, bool, error) {
	ts, meta, ok, err := c.getArtifact(StatesDir, key, "state")
	if !ok || err != nil {
		return nil, false, err
	}
	p := c.artifactPath(StatesDir, key)
	var m stateMeta
	if err := json.Unmarshal([]byte(meta[metaState]), &m); err != nil {
		return nil, false, fmt.Errorf("%s: state metadata: %v", p, err)
	}
	byName := map[string][]float32{}
	var order []int32
	for _, t := range ts {
		if t.Name == "order" {
			order = t.I32
		} else {
			byName[t.Name] = t.F32
		}
	}
	take := func(prefix string) ([][]float32, error) {
		var out [][]float32
		for i := 0; ; i++ {
			v, ok := byName[prefix+strconv.Itoa(i)]
			if !ok {
				break
			}
			out = append(out, v)
			delete(byName, prefix+strconv.Itoa(i))
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no %s tensors", p, strings.TrimSuffix(prefix, "."))
		}
		return out, nil
	}
	st := &nn.State{Epoch: m.Epoch, LR: m.LR, Result: m.Result.result(), RNG: m.RNG,
		Optim: nn.OptimState{Step: m.Step, Slots: map[string][][]float32{}}}
	if st.Params, err = take("params."); err != nil {
		return nil, false, err
	}
	if m.Best {
		if st.Best, err = take("best."); err != nil {
			return nil, false, err
		}
	} else {
		st.Best = st.Params // the best epoch is the last: the same values
	}
	for _, name := range m.Slots {
		if st.Optim.Slots[name], err = take("optim." + name + "."); err != nil {
			return nil, false, err
		}
	}
	if len(byName) != 0 || order == nil {
		return nil, false, fmt.Errorf("%s: state tensors do not match its metadata", p)
	}
	st.Order = make([]int, len(order))
	for i, v := range order {
		st.Order[i] = int(v)
	}
	return st, true, nil
}

// Weights are the kept (best-validation) parameters of one trial, with
// what is needed to rebuild and check its model: the spec, the image shape,
// the data it was trained on and its test accuracy. Tensors are named and
// shaped as nn.Model.Params: W1, b1, W2, ... with conv weights (filters,
// channels, height, width) and affine weights (inputs, outputs); see
// WeightsLayout.
type Weights struct {
	Key     string
	Model   nn.ModelSpec
	Input   [3]int
	Data    DataSpec
	TestAcc float64
	Tensors []Tensor
}

// WeightsLayout documents the tensor names and layouts of a weights file for
// readers outside pipe (pipe export --help and the README quote it).
const WeightsLayout = `Tensors are float32, named as pipe numbers its parameters: W1, b1 for the
first layer with weights, W2, b2 for the second, and so on. A conv weight is
(filters, channels, height, width), as torch.nn.functional.conv2d takes it;
an affine weight is (inputs, outputs), applied as x @ W + b (the transpose
of torch.nn.Linear's weight); the first affine's input is the previous
layer's output flattened in (channels, height, width) order. The metadata
holds pipe.model (the model spec, JSON), pipe.input ("C,H,W"), pipe.data
(the data selection, JSON: its classes in label order), pipe.test_acc and
pipe.key.`

// NewWeights takes the parameters of model as the kept weights of the trial
// rec records. They are shared, not copied: write the weights before the
// model changes.
func NewWeights(rec Record, model *nn.Model[float32]) Weights {
	w := Weights{Key: rec.Key, Model: model.Spec(), Input: model.Input(), Data: rec.Trial.Data, TestAcc: rec.Result.TestAcc}
	for _, p := range model.Params() {
		w.Tensors = append(w.Tensors, Tensor{Name: p.Name, Shape: slices.Clone(p.Value.Shape), F32: p.Value.Data})
	}
	return w
}

// write writes the weights to f as a sealed safetensors file.
func (w Weights) write(f *os.File) error {
	model, err := json.Marshal(w.Model)
	if err != nil {
		return fmt.Errorf("results: encoding weights %s: %w", w.Key, err)
	}
	data, err := json.Marshal(w.Data)
	if err != nil {
		return fmt.Errorf("results: encoding weights %s: %w", w.Key, err)
	}
	return writeSealed(f, w.Tensors, map[string]string{
		metaKind: "weights", metaKey: w.Key, metaNumerics: NumericsVersion,
		metaModel: string(model), metaData: string(data),
		metaInput:   fmt.Sprintf("%d,%d,%d", w.Input[0], w.Input[1], w.Input[2]),
		metaTestAcc: strconv.FormatFloat(w.TestAcc, 'g', -1, 64),
	})
}

// PutWeights writes w under its key atomically.
func (c *Cache) PutWeights(w Weights) error {
	if !validKey(w.Key) {
		return fmt.Errorf("results: cannot store weights with invalid key %q", w.Key)
	}
	return c.putArtifact(WeightsDir, w.Key, w.write)
}

// GetWeights returns the weights of the trial key, ok=false when there are
// none; a file that does not check out is an error naming it.
func (c *Cache) GetWeights(key string) (Weights, bool, error) {
	ts, meta, ok, err := c.getArtifact(WeightsDir, key, "weights")
	if !ok || err != nil {
		return Weights{}, false, err
	}
	w, err := weightsFrom(ts, meta)
	if err != nil {
		return Weights{}, false, fmt.Errorf("%s: %v", c.artifactPath(WeightsDir, key), err)
	}
	return w, true, nil
}

// WeightsPath is the file of the weights of key (for messages).
func (c *Cache) WeightsPath(key string) string { return c.artifactPath(WeightsDir, key) }

// weightsFrom reads the weights' metadata.
func weightsFrom(ts []Tensor, meta map[string]string) (Weights, error) {
	w := Weights{Key: meta[metaKey], Tensors: ts}
	if err := json.Unmarshal([]byte(meta[metaModel]), &w.Model); err != nil {
		return Weights{}, fmt.Errorf("%s: %v", metaModel, err)
	}
	if err := json.Unmarshal([]byte(meta[metaData]), &w.Data); err != nil {
		return Weights{}, fmt.Errorf("%s: %v", metaData, err)
	}
	if _, err := fmt.Sscanf(meta[metaInput], "%d,%d,%d", &w.Input[0], &w.Input[1], &w.Input[2]); err != nil {
		return Weights{}, fmt.Errorf("%s %q: %v", metaInput, meta[metaInput], err)
	}
	var err error
	if w.TestAcc, err = strconv.ParseFloat(meta[metaTestAcc], 64); err != nil {
		return Weights{}, fmt.Errorf("%s: %v", metaTestAcc, err)
	}
	return w, nil
}

// putArtifact writes the artifact kind of key with write, atomically.
func (c *Cache) putArtifact(kind, key string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Join(c.root(), kind), 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return writeAtomic(c.artifactPath(kind, key), write)
}

// getArtifact reads and checks the artifact kind of key: sealed, of that
// kind, key and numerics version.
func (c *Cache) getArtifact(dir, key, kind string) ([]Tensor, map[string]string, bool, error) {
	if !validKey(key) {
		return nil, nil, false, fmt.Errorf("results: invalid trial key %q (want hex digits)", key)
	}
	p := c.artifactPath(dir, key)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("results: reading %s: %w", kind, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, false, fmt.Errorf("results: reading %s: %w", kind, err)
	}
	// Read straight into the tensors: a state is tens of MB, and holding
	// its bytes besides would double what loading it costs.
	ts, meta, err := unsealTensors(f, fi.Size())
	if err != nil {
		return nil, nil, false, fmt.Errorf("%s: %v", p, err)
	}
	switch {
	case meta[metaKind] != kind:
		return nil, nil, false, fmt.Errorf("%s: holds %q, want %s", p, meta[metaKind], kind)
	case meta[metaKey] != key:
		return nil, nil, false, fmt.Errorf("%s: %s of trial %q, want %q (file renamed or copied?)", p, kind, meta[metaKey], key)
	case meta[metaNumerics] != NumericsVersion:
		return nil, nil, false, fmt.Errorf("%s: numerics version %q, want %q", p, meta[metaNumerics], NumericsVersion)
	}
	return ts, meta, true, nil
}

// WriteWeights writes w to path (atomically) as the safetensors file the
// store keeps; see WeightsLayout for what readers find in it.
func WriteWeights(path string, w Weights) error {
	return writeAtomic(path, w.write)
}

// ReadWeightsFile reads the float32 tensors of a safetensors file (one pipe
// exported, or one written by PyTorch's safetensors) by name, and names the
// file by content: "sha256:" and the hex digest of its bytes, which a warm
// start's trial key holds. A file pipe sealed must still check out.
func ReadWeightsFile(path string) (map[string][]float32, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("results: %w", err)
	}
	ts, meta, err := decodeTensors(b)
	if err != nil {
		return nil, "", fmt.Errorf("results: %s: not a safetensors file: %v", path, err)
	}
	if _, sealed := meta[checksumMeta]; sealed {
		if _, _, err := unsealTensors(bytes.NewReader(b), int64(len(b))); err != nil {
			return nil, "", fmt.Errorf("results: %s: %v", path, err)
		}
	}
	out := make(map[string][]float32, len(ts))
	for _, t := range ts {
		if t.F32 == nil && t.len() > 0 {
			return nil, "", fmt.Errorf("results: %s: tensor %s is not float32", path, t.Name)
		}
		out[t.Name] = t.F32
	}
	sum := sha256.Sum256(b)
	return out, "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Named returns the tensors of w by name (an nn.Run.Init).
func (w Weights) Named() map[string][]float32 {
	out := make(map[string][]float32, len(w.Tensors))
	for _, t := range w.Tensors {
		out[t.Name] = t.F32
	}
	return out
}
