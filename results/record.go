package results

import (
	"bytes"
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
//     batch size, lr decay, seed, training subset, accuracy samples).
//
// Settings are left out on purpose: they only name the values a pipeline
// varied, and renaming a grid axis must not retrain anything.
type keyDoc struct {
	NumericsVersion string         `json:"numerics_version"`
	Model           nn.ModelSpec   `json:"model"`
	Data            DataSpec       `json:"data"`
	Train           nn.TrainConfig `json:"train"`
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
	doc := keyDoc{NumericsVersion: NumericsVersion, Model: t.Model, Data: t.Data, Train: t.Train}
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
// each value by FormatValue ("dropout=0 lr=0.001"). Tables, figure legends
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

// MarshalJSON writes the value so that UnmarshalJSON restores its type: a
// float with an integral value keeps a ".0" ("3.0"), so it does not come back
// as an integer.
func (s Setting) MarshalJSON() ([]byte, error) {
	var val []byte
	switch v := s.Value.(type) {
	case float64, float32:
		f, bits := 0.0, 64
		if f32, ok := v.(float32); ok {
			f, bits = float64(f32), 32
		} else {
			f = v.(float64)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("setting %q: value %v cannot be stored", s.Name, f)
		}
		val = appendJSONFloat(nil, f, bits)
		if !bytes.ContainsAny(val, ".e") {
			val = append(val, ".0"...)
		}
	default:
		var err error
		if val, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("setting %q: %w", s.Name, err)
		}
	}
	name, err := json.Marshal(s.Name)
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"name":`), name...)
	b = append(b, `,"value":`...)
	b = append(b, val...)
	return append(b, '}'), nil
}

// UnmarshalJSON reads a setting back with the Go type it was written with:
// numbers without fraction or exponent as int64, other numbers as float64,
// strings, booleans, and null as nil. Lists and objects are an error.
func (s *Setting) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name  string          `json:"name"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	v := bytes.TrimSpace(raw.Value)
	s.Name = raw.Name
	switch {
	case len(v) == 0 || string(v) == "null":
		s.Value = nil
	case v[0] == '"':
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return fmt.Errorf("setting %q: %w", raw.Name, err)
		}
		s.Value = str
	case string(v) == "true" || string(v) == "false":
		s.Value = string(v) == "true"
	case v[0] == '-' || '0' <= v[0] && v[0] <= '9':
		if !bytes.ContainsAny(v, ".eE") {
			if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				s.Value = i
				return nil
			}
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return fmt.Errorf("setting %q: bad number %s", raw.Name, v)
		}
		s.Value = f
	default:
		return fmt.Errorf("setting %q: value %s is not a number, string or bool", raw.Name, v)
	}
	return nil
}

// appendJSONFloat formats a finite float the way encoding/json does
// (shortest round-trip digits; exponent form only for very small or large
// magnitudes), so hand-written JSON matches json.Marshal's.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// jsonFloat is a float64 that JSON can hold even when it is not finite: a
// diverged run's last loss is NaN or ±Inf, and losing the whole record to
// json.Marshal's "unsupported value" would lose a finished trial. Non-finite
// values are written as the strings "NaN", "+Inf" and "-Inf".
type jsonFloat float64

// jsonFloat32 is jsonFloat for float32 values (filter weights).
type jsonFloat32 float32

func marshalFloat(f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`)
	case math.IsInf(f, 1):
		return []byte(`"+Inf"`)
	case math.IsInf(f, -1):
		return []byte(`"-Inf"`)
	}
	return appendJSONFloat(nil, f, bits)
}

func unmarshalFloat(b []byte, bits int) (float64, error) {
	switch string(b) {
	case `"NaN"`:
		return math.NaN(), nil
	case `"+Inf"`:
		return math.Inf(1), nil
	case `"-Inf"`:
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(string(b), bits)
	if err != nil {
		return 0, fmt.Errorf("bad number %s", b)
	}
	return f, nil
}

func (f jsonFloat) MarshalJSON() ([]byte, error) { return marshalFloat(float64(f), 64), nil }

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	v, err := unmarshalFloat(b, 64)
	*f = jsonFloat(v)
	return err
}

func (f jsonFloat32) MarshalJSON() ([]byte, error) { return marshalFloat(float64(f), 32), nil }

func (f *jsonFloat32) UnmarshalJSON(b []byte) error {
	v, err := unmarshalFloat(b, 32)
	*f = jsonFloat32(v)
	return err
}

// resultJSON mirrors nn.Result field for field (same JSON names) with
// NaN-safe floats. TestResultJSONMirrorsNN fails when nn.Result gains a field
// this copy lacks.
type resultJSON struct {
	Status     string      `json:"status"`
	DivergedAt int         `json:"diverged_at,omitempty"`
	Loss       []jsonFloat `json:"loss"`
	TrainAccs  []jsonFloat `json:"train_acc"`
	ValAccs    []jsonFloat `json:"val_acc"`
	BestEpoch  int         `json:"best_epoch"`
	TrainAcc   jsonFloat   `json:"final_train_acc"`
	ValAcc     jsonFloat   `json:"final_val_acc"`
	TestAcc    jsonFloat   `json:"final_test_acc"`
}

// convertFloats converts xs element by element (between float64 or float32
// and their NaN-safe JSON twins); nil stays nil.
func convertFloats[To, From ~float32 | ~float64](xs []From) []To {
	if xs == nil {
		return nil
	}
	out := make([]To, len(xs))
	for i, x := range xs {
		out[i] = To(x)
	}
	return out
}

func newResultJSON(r nn.Result) resultJSON {
	return resultJSON{
		Status: r.Status, DivergedAt: r.DivergedAt,
		Loss:      convertFloats[jsonFloat](r.Loss),
		TrainAccs: convertFloats[jsonFloat](r.TrainAccs),
		ValAccs:   convertFloats[jsonFloat](r.ValAccs),
		BestEpoch: r.BestEpoch,
		TrainAcc:  jsonFloat(r.TrainAcc), ValAcc: jsonFloat(r.ValAcc), TestAcc: jsonFloat(r.TestAcc),
	}
}

func (r resultJSON) result() nn.Result {
	return nn.Result{
		Status: r.Status, DivergedAt: r.DivergedAt,
		Loss:      convertFloats[float64](r.Loss),
		TrainAccs: convertFloats[float64](r.TrainAccs),
		ValAccs:   convertFloats[float64](r.ValAccs),
		BestEpoch: r.BestEpoch,
		TrainAcc:  float64(r.TrainAcc), ValAcc: float64(r.ValAcc), TestAcc: float64(r.TestAcc),
	}
}

// recordAlias has Record's fields without its methods, so the JSON methods
// below can use the default encoding for everything but Result.
type recordAlias Record

// recordJSON shadows Record.Result with its NaN-safe mirror.
type recordJSON struct {
	*recordAlias
	Result resultJSON `json:"result"`
}

// MarshalJSON encodes the record like encoding/json would, except that
// non-finite result values are kept as "NaN"/"+Inf"/"-Inf" strings.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordJSON{recordAlias: (*recordAlias)(&r), Result: newResultJSON(r.Result)})
}

// UnmarshalJSON is the inverse of MarshalJSON.
func (r *Record) UnmarshalJSON(b []byte) error {
	aux := recordJSON{recordAlias: (*recordAlias)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r.Result = aux.Result.result()
	return nil
}

// filtersJSON shadows Filters.Data with NaN-safe floats.
type filtersJSON struct {
	Shape [4]int        `json:"shape"`
	Data  []jsonFloat32 `json:"data"`
}

// MarshalJSON keeps non-finite weights (a diverged net) as strings.
func (f Filters) MarshalJSON() ([]byte, error) {
	return json.Marshal(filtersJSON{Shape: f.Shape, Data: convertFloats[jsonFloat32](f.Data)})
}

// UnmarshalJSON is the inverse of MarshalJSON.
func (f *Filters) UnmarshalJSON(b []byte) error {
	var aux filtersJSON
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	f.Shape, f.Data = aux.Shape, convertFloats[float32](aux.Data)
	return nil
}

// WithoutTiming returns rec with the fields that measure time (Seconds,
// Finished) cleared: what must be bit-identical between two runs of the same
// trial, whatever --jobs was.
func (r Record) WithoutTiming() Record {
	r.Seconds, r.Finished = 0, ""
	return r
}
