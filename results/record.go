package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pipe-ml/pipe/nn"
)

// keyBytes is how many bytes of the SHA-256 digest a key keeps: 128 bits make
// an accidental collision between trials of any realistic study impossible,
// and 32 hex characters keep file names readable.
const keyBytes = 16

// keyDoc is exactly what a trial key hashes, in this field order:
//
//   - numerics_version: NumericsVersion, so a change to the numerics
//     retrains every trial;
//   - model: the full nn.ModelSpec (layers, initialiser, weight scale, reg);
//   - data: the DataSpec (data set, source, classes, validation size, split
//     seed and the content fingerprint of the files read);
//   - train: the full nn.TrainConfig (optimiser and its settings, epochs,
//     batch size, lr decay, seed, training subset, accuracy samples);
//   - init_from: the weights a warm start began from (omitted when empty,
//     so random starts keep their keys).
//
// Settings are left out on purpose: they only name the values a pipeline
// varied, and renaming a grid axis must not retrain anything.
type keyDoc struct {
	NumericsVersion string         `json:"numerics_version"`
	Model           nn.ModelSpec   `json:"model"`
	Data            DataSpec       `json:"data"`
	Train           nn.TrainConfig `json:"train"`
	InitFrom        string         `json:"init_from,omitempty"`
}

// Key hashes the trial's canonical JSON (Settings excluded: they only label
// it) with NumericsVersion: equal keys train to equal records.
//
// The key is the first 16 bytes of SHA-256 over the encoding/json encoding of
// keyDoc (see its doc for the fields), as 32 lower-case hex digits.
// encoding/json writes struct fields in declaration order and every float in
// its shortest round-tripping form, so the encoding is canonical; nil and
// empty slices are normalised to the same "[]". A spec holding NaN or ±Inf
// cannot be encoded as JSON; its key then hashes Go's %#v rendering instead,
// which is still deterministic (builtins reject such specs before this).
func (t Trial) Key() string {
	sum := sha256.Sum256(t.canonicalJSON())
	return hex.EncodeToString(sum[:keyBytes])
}

// canonicalJSON returns the bytes Key hashes.
func (t Trial) canonicalJSON() []byte {
	doc := keyDoc{NumericsVersion: NumericsVersion, Model: t.Model, Data: t.Data, Train: t.Train, InitFrom: t.InitFrom}
	if doc.Model.Layers == nil {
		doc.Model.Layers = []nn.LayerSpec{}
	}
	if doc.Data.Classes == nil {
		doc.Data.Classes = []string{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return []byte(fmt.Sprintf("unencodable:%#v", doc))
	}
	return b
}

// validKey reports whether key looks like a Trial.Key: only lower-case hex
// digits, so it is always a safe file name.
func validKey(key string) bool {
	if key == "" || len(key) > 2*sha256.Size {
		return false
	}
	for _, c := range key {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NewRecord makes the record of a finished trial: its key and numerics
// version come from t, Finished is the UTC time in RFC 3339. Filters stay nil;
// set them with NewFilters from the kept model's first conv weights.
func NewRecord(t Trial, res nn.Result, seconds float64, finished time.Time) Record {
	return Record{
		Key:             t.Key(),
		NumericsVersion: NumericsVersion,
		Trial:           t,
		Result:          res,
		Seconds:         seconds,
		Finished:        finished.UTC().Format(time.RFC3339),
	}
}

// Filters holds a conv layer's weights in the NCHW layout of nn tensors:
// Shape is (filters, input channels, height, width) and Data has their
// product of values.
type Filters struct {
	Shape [4]int    `json:"shape"`
	Data  []float32 `json:"data"`
}

// NewFilters copies a conv weight tensor (shape F, C, H, W, as in
// nn.Param.Value) into a Filters, checking that data matches the shape.
func NewFilters(shape []int, data []float32) (*Filters, error) {
	if len(shape) != 4 {
		return nil, fmt.Errorf("results: filters need a 4-d shape (filters, channels, height, width), got %v", shape)
	}
	f := &Filters{Data: data}
	copy(f.Shape[:], shape)
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	f.Data = slices.Clone(data)
	return f, nil
}

// check reports whether Data matches Shape; records read from disk may not.
func (f *Filters) check() error {
	n := 1
	for _, d := range f.Shape {
		if d <= 0 {
			return fmt.Errorf("filter shape %v has a non-positive size", f.Shape)
		}
		n *= d
	}
	if len(f.Data) != n {
		return fmt.Errorf("filter shape %v needs %d values, got %d", f.Shape, n, len(f.Data))
	}
	return nil
}

// Setting returns the value of the named setting and whether the trial has it.
func (t Trial) Setting(name string) (any, bool) {
	for _, s := range t.Settings {
		if s.Name == name {
			return s.Value, true
		}
	}
	return nil, false
}

// Label names a record by its settings ("filter_size=3 seed=0"), in the order
// the pipeline gave them; a trial without settings is named by its key's
// first 8 digits. Plots use it when the caller gives no labels.
func Label(rec Record) string {
	if len(rec.Trial.Settings) == 0 {
		k := rec.Key
		if len(k) > 8 {
			k = k[:8]
		}
		return "trial " + k
	}
	return FormatSettings(rec.Trial.Settings)
}

// FormatSettings renders settings as "name=value" pairs joined by spaces,
// each value by formatValue ("dropout=0 lr=0.001"). Tables, figure legends
// and progress lines all name trials this way, so one trial reads the same
// in each.
func FormatSettings(settings []Setting) string {
	parts := make([]string, len(settings))
	for i, s := range settings {
		parts[i] = s.Name + "=" + FormatValue(s.Value)
	}
	return strings.Join(parts, " ")
}

// FormatValue renders a setting value the same way everywhere (table cells,
// FormatSettings): integers in decimal, floats in their shortest round-tripping form
// ("0.001", "1e-05"), strings as they are, booleans as true/false.
func FormatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	if i, ok := asInt64(v); ok {
		return strconv.FormatInt(i, 10)
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10)
	}
	return fmt.Sprint(v)
}

// asInt64 converts any Go integer type that fits into int64.
func asInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return int64(v), uint64(v) <= math.MaxInt64
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

// WithoutTiming returns rec with the fields that measure time (Seconds,
// Finished, Threads, CoreSecs) cleared: what must be bit-identical between
// two runs of the same trial, whatever --jobs was.
func (r Record) WithoutTiming() Record {
	r.Seconds, r.Finished, r.Threads, r.CoreSecs = 0, "", 0, 0
	return r
}

// CoreSeconds is the training time in core-seconds: wall seconds times the
// cores the trial could use. A trial that trained alone on two cores and one
// that shared them with another then compare by the work they took, not by
// what else ran beside them.
// When the count changed during training, it is the time integral kept in
// CoreSecs.
func (r Record) CoreSeconds() float64 {
	if r.CoreSecs > 0 {
		return r.CoreSecs
	}
	return r.Seconds * float64(max(r.Threads, 1))
}
