package results

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn"
)

// goldenKey is baseTrial's key. If this test fails, a change altered the
// keys of every cached trial: that is only right together with a deliberate
// change of what a key means (and then update this constant).
const goldenKey = "55f5ec0ba50b103eb3198cdb6411e027"

func TestKeyGolden(t *testing.T) {
	got := baseTrial().Key()
	if got != goldenKey {
		t.Errorf("baseTrial().Key() = %s, want %s; canonical JSON:\n%s", got, goldenKey, baseTrial().canonicalJSON())
	}
	if len(got) != 2*keyBytes || !validKey(got) {
		t.Errorf("key %q is not %d hex digits", got, 2*keyBytes)
	}
}

func TestKeyCanonicalJSON(t *testing.T) {
	got := string(baseTrial().canonicalJSON())
	for _, want := range []string{`"numerics_version":"` + NumericsVersion + `"`, `"weight_scale":0.001`, `"lr":0.001`, `"classes":["T-shirt/top","Shirt"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("canonical JSON lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "settings") {
		t.Errorf("canonical JSON holds the settings:\n%s", got)
	}
}

func TestKeyIgnoresSettings(t *testing.T) {
	a := baseTrial()
	b := baseTrial()
	b.Settings = []Setting{{"filter_size", int64(7)}, {"seed", int64(0)}}
	if a.Key() != b.Key() {
		t.Error("settings changed the key")
	}
}

func TestKeyNilEqualsEmpty(t *testing.T) {
	a, b := baseTrial(), baseTrial()
	a.Data.Classes, b.Data.Classes = nil, []string{}
	a.Model.Layers, b.Model.Layers = nil, []nn.LayerSpec{}
	if a.Key() != b.Key() {
		t.Error("nil and empty slices give different keys")
	}
}

// TestKeySensitivity changes every field of the spec, one at a time, and
// checks that the key changes: a field that does not reach the key (a
// json:"-" tag, a field keyDoc forgot) would let two different trials share
// a cached record.
func TestKeySensitivity(t *testing.T) {
	base := baseTrial()
	// Fill every field with a non-zero value first, so that changing it is
	// visible even behind omitempty.
	full := base
	full.Model.Layers = append([]nn.LayerSpec(nil), base.Model.Layers...)
	fillLeaves(reflect.ValueOf(&full.Model.Layers[0]).Elem())
	fillLeaves(reflect.ValueOf(&full.Train.Optimizer).Elem())
	full.Train.TrainImages = 100
	full.Train.Seed = 3
	baseKey := full.Key()

	var paths []string
	var walk func(path string, get func(*Trial) reflect.Value, typ reflect.Type)
	walk = func(path string, get func(*Trial) reflect.Value, typ reflect.Type) {
		switch {
		case typ.Kind() == reflect.Struct && typ != maybeType:
			for i := 0; i < typ.NumField(); i++ {
				i := i
				walk(path+"."+typ.Field(i).Name, func(tr *Trial) reflect.Value { return get(tr).Field(i) }, typ.Field(i).Type)
			}
		case typ.Kind() == reflect.Slice:
			// Change the first element, and the length.
			walk(path+"[0]", func(tr *Trial) reflect.Value { return get(tr).Index(0) }, typ.Elem())
			paths = append(paths, path+" (length)")
			tr := cloneTrial(full)
			s := get(&tr)
			s.Set(s.Slice(0, s.Len()-1))
			if tr.Key() == baseKey {
				t.Errorf("shortening %s does not change the key", path)
			}
		default:
			paths = append(paths, path)
			tr := cloneTrial(full)
			bump(get(&tr))
			if tr.Key() == baseKey {
				t.Errorf("changing %s does not change the key", path)
			}
		}
	}
	for _, f := range []string{"Model", "Data", "Train"} {
		f := f
		sf, _ := reflect.TypeOf(Trial{}).FieldByName(f)
		walk(f, func(tr *Trial) reflect.Value { return reflect.ValueOf(tr).Elem().FieldByName(f) }, sf.Type)
	}
	if len(paths) < 25 {
		t.Errorf("only %d fields checked: %v", len(paths), paths)
	}
}

// cloneTrial deep-copies the slices a test mutates.
func cloneTrial(t Trial) Trial {
	t.Model.Layers = append([]nn.LayerSpec(nil), t.Model.Layers...)
	t.Data.Classes = append([]string(nil), t.Data.Classes...)
	t.Settings = append([]Setting(nil), t.Settings...)
	return t
}

// fillLeaves sets every zero number or string of a struct to a non-zero one.
func fillLeaves(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.IsZero() {
			bump(f)
		}
	}
}

// maybeType is an optimiser setting that may be unset: a leaf to bump.
var maybeType = reflect.TypeOf(nn.Maybe{})

// bump changes a leaf value.
func bump(v reflect.Value) {
	if v.Type() == maybeType {
		v.Set(reflect.ValueOf(nn.Some(v.Interface().(nn.Maybe).Or(0) + 0.25)))
		return
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(v.Int() + 1)
	case reflect.Uint64, reflect.Uint, reflect.Uint32:
		v.SetUint(v.Uint() + 1)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(v.Float() + 0.25)
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	default:
		panic("bump: unhandled kind " + v.Kind().String())
	}
}

func TestKeyOfNaNSpecIsStable(t *testing.T) {
	a, b := baseTrial(), baseTrial()
	a.Train.Optimizer.LR = math.NaN()
	b.Train.Optimizer.LR = math.NaN()
	if a.Key() != b.Key() || !validKey(a.Key()) || a.Key() == baseTrial().Key() {
		t.Errorf("keys of NaN specs: %s, %s", a.Key(), b.Key())
	}
}

func TestSettingRoundTripKeepsTypes(t *testing.T) {
	in := []Setting{
		{"i", int64(3)}, {"n", -7}, {"f", 3.0}, {"g", 1e-4}, {"h", 1e-7}, {"big", 1e22},
		{"f32", float32(0.1)}, {"s", "adam"}, {"b", true}, {"nil", nil},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []Setting
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{"i", int64(3)}, {"n", int64(-7)}, {"f", 3.0}, {"g", 1e-4}, {"h", 1e-7}, {"big", 1e22},
		{"f32", 0.1}, {"s", "adam"}, {"b", true}, {"nil", nil},
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("round trip of %s:\ngot  %#v\nwant %#v", b, out, want)
	}
	if _, err := json.Marshal(Setting{"x", math.Inf(1)}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("Inf setting: err = %v, want one naming the setting", err)
	}
	var s Setting
	if err := json.Unmarshal([]byte(`{"name":"grid","value":[1,2]}`), &s); err == nil || !strings.Contains(err.Error(), "grid") {
		t.Errorf("list value: err = %v, want one naming the setting", err)
	}
}

func TestRecordJSONKeepsNonFinite(t *testing.T) {
	rec := sweepRecord(3, 0, 0.8)
	rec.Result.Status, rec.Result.DivergedAt = "diverged", 6
	rec.Result.Loss = []float64{2.3, 1e30, math.Inf(1), math.NaN()}
	rec.Result.TestAcc = math.Inf(-1)
	rec.Filters = &Filters{Shape: [4]int{1, 1, 1, 3}, Data: []float32{0.5, float32(math.NaN()), -1e-7}}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	l := got.Result.Loss
	if len(l) != 4 || l[0] != 2.3 || l[1] != 1e30 || !math.IsInf(l[2], 1) || !math.IsNaN(l[3]) || !math.IsInf(got.Result.TestAcc, -1) {
		t.Errorf("loss %v, test acc %v after round trip of %s", l, got.Result.TestAcc, b)
	}
	if d := got.Filters.Data; d[0] != 0.5 || !math.IsNaN(float64(d[1])) || d[2] != -1e-7 {
		t.Errorf("filters %v after round trip", d)
	}
	// The finite parts are encoded exactly as encoding/json would.
	plain, _ := json.Marshal(struct {
		V []float64 `json:"train_acc"`
	}{rec.Result.TrainAccs})
	if !strings.Contains(string(b), strings.Trim(string(plain), "{}")) {
		t.Errorf("train_acc not encoded like encoding/json (%s) in %s", plain, b)
	}
}

// TestResultJSONMirrorsNN fails when nn.Result changes without resultJSON:
// a field missing from the mirror would silently not be stored.
func TestResultJSONMirrorsNN(t *testing.T) {
	a, b := reflect.TypeOf(nn.Result{}), reflect.TypeOf(resultJSON{})
	if a.NumField() != b.NumField() {
		t.Fatalf("nn.Result has %d fields, resultJSON %d: update resultJSON", a.NumField(), b.NumField())
	}
	for i := 0; i < a.NumField(); i++ {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Tag != fb.Tag {
			t.Errorf("field %d: nn.Result has %s %q, resultJSON %s %q", i, fa.Name, fa.Tag, fb.Name, fb.Tag)
		}
	}
	// And the conversion keeps every value.
	r := sweepRecord(5, 1, 0.75).Result
	r.DivergedAt = 4
	if got := newResultJSON(r).result(); !reflect.DeepEqual(got, r) {
		t.Errorf("result round trip: got %+v, want %+v", got, r)
	}
}

func TestNewFilters(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	f, err := NewFilters([]int{2, 1, 1, 3}, data)
	if err != nil {
		t.Fatal(err)
	}
	data[0] = 99
	if f.Data[0] != 1 || f.Shape != [4]int{2, 1, 1, 3} {
		t.Errorf("NewFilters = %+v, want a copy", f)
	}
	for _, c := range []struct {
		shape []int
		n     int
		want  string
	}{{[]int{2, 3}, 6, "4-d"}, {[]int{2, 1, 1, 3}, 5, "needs 6 values, got 5"}, {[]int{0, 1, 1, 1}, 0, "non-positive"}} {
		if _, err := NewFilters(c.shape, make([]float32, c.n)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewFilters(%v, %d values): err = %v, want %q", c.shape, c.n, err, c.want)
		}
	}
}

func TestLabelAndFormatValue(t *testing.T) {
	if got := Label(sweepRecord(5, 2, 0.8)); got != "filter_size=5 seed=2" {
		t.Errorf("Label = %q", got)
	}
	rec := sweepRecord(5, 2, 0.8)
	rec.Trial.Settings = nil
	if got := Label(rec); got != "trial "+rec.Key[:8] {
		t.Errorf("Label without settings = %q", got)
	}
	for v, want := range map[any]string{int64(3): "3", 0.001: "0.001", 1e-5: "1e-05", "adam": "adam", true: "true", 3: "3", float32(0.1): "0.1", uint64(7): "7"} {
		if got := FormatValue(v); got != want {
			t.Errorf("formatValue(%#v) = %q, want %q", v, got, want)
		}
	}
}
