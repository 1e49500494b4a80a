package nn

import (
	"encoding/json"
	"strconv"
)

// Maybe is an optimiser setting that may be unset. A plain float64 could
// not tell "not given, take the default" from an explicit 0, so
// sgd_momentum(momentum = 0) trained with momentum 0.9. Unset is omitted from
// JSON (so from trial keys, which read as before); a set value, 0 included,
// is written as the number.
type Maybe struct {
	v   float64
	set bool
}

// Some is the set value v.
func Some(v float64) Maybe { return Maybe{v: v, set: true} }

// Get returns the value and whether it is set.
func (m Maybe) Get() (float64, bool) { return m.v, m.set }

// Or returns the value, or def when it is unset.
func (m Maybe) Or(def float64) float64 {
	if m.set {
		return m.v
	}
	return def
}

// IsZero reports whether m is unset (json's omitzero).
func (m Maybe) IsZero() bool { return !m.set }

func (m Maybe) String() string {
	if !m.set {
		return "unset"
	}
	return strconv.FormatFloat(m.v, 'g', -1, 64)
}

// MarshalJSON writes the number as encoding/json writes a float64; unset
// is null (and left out by omitzero).
func (m Maybe) MarshalJSON() ([]byte, error) {
	if !m.set {
		return []byte("null"), nil
	}
	return json.Marshal(m.v)
}

// UnmarshalJSON reads a number; null leaves m unset.
func (m *Maybe) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Maybe{}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Some(v)
	return nil
}
