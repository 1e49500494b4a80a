package results

// This file is the JSON form of records: settings keep their Go types
// through a round trip, and non-finite numbers (a diverged run's NaN loss)
// are kept as strings instead of making the whole record unencodable.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/pipe-ml/pipe/nn"
)

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
	Status     nn.Status   `json:"status"`
	DivergedAt int         `json:"diverged_at,omitempty"`
	Loss       []jsonFloat `json:"loss"`
	TrainAccs  []jsonFloat `json:"train_acc"`
	ValAccs    []jsonFloat `json:"val_acc"`
	BestEpoch  int         `json:"best_epoch"`
	StoppedAt  int         `json:"stopped_at,omitempty"`
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
		BestEpoch: r.BestEpoch, StoppedAt: r.StoppedAt,
		TrainAcc: jsonFloat(r.TrainAcc), ValAcc: jsonFloat(r.ValAcc), TestAcc: jsonFloat(r.TestAcc),
	}
}

func (r resultJSON) result() nn.Result {
	return nn.Result{
		Status: r.Status, DivergedAt: r.DivergedAt,
		Loss:      convertFloats[float64](r.Loss),
		TrainAccs: convertFloats[float64](r.TrainAccs),
		ValAccs:   convertFloats[float64](r.ValAccs),
		BestEpoch: r.BestEpoch, StoppedAt: r.StoppedAt,
		TrainAcc: float64(r.TrainAcc), ValAcc: float64(r.ValAcc), TestAcc: float64(r.TestAcc),
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
