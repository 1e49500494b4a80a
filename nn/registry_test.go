package nn

import (
	"math"
	"strings"
	"testing"
)

// TestLayerRegistry: every registered layer makes a spec from its
// arguments that reads back as the same arguments, checks each argument's
// range, and fits a small input whose shape and parameter count Check
// reports.
func TestLayerRegistry(t *testing.T) {
	for _, k := range []LayerKind{Affine, Conv, Dropout, MaxPool, ReLU} {
		if LookupLayer(k) == nil {
			t.Errorf("%s is not registered", k)
		}
	}
	for _, lt := range LayerTypes() {
		vals := make([]float64, len(lt.Args))
		given := make([]bool, len(lt.Args))
		for i, a := range lt.Args {
			given[i] = true
			switch a.Type {
			case ArgInt:
				vals[i] = float64(a.Min + 1)
			case ArgProb:
				vals[i] = 0.25
			case ArgPositive:
				vals[i] = 0.5
			}
		}
		l, err := lt.Spec(vals, given)
		if err != nil {
			t.Fatalf("%s: %v", lt.Kind, err)
		}
		if l.Kind != lt.Kind {
			t.Errorf("%s: spec of kind %s", lt.Kind, l.Kind)
		}
		for i, v := range lt.Values(l) {
			var f float64
			switch v := v.(type) {
			case int:
				f = float64(v)
			case float64:
				f = v
			default:
				t.Fatalf("%s: argument %s reads back as %T", lt.Kind, lt.Args[i].Name, v)
			}
			if f != vals[i] {
				t.Errorf("%s: argument %s = %g reads back as %g", lt.Kind, lt.Args[i].Name, vals[i], f)
			}
		}
		// Each argument out of range is a SettingError naming it.
		for i, a := range lt.Args {
			bad := append([]float64(nil), vals...)
			bad[i] = map[ArgType]float64{ArgInt: float64(a.Min - 1), ArgProb: 1, ArgPositive: 0}[a.Type]
			_, err := lt.Spec(bad, given)
			if se, ok := err.(*SettingError); !ok || se.Name != a.Name {
				t.Errorf("%s: %s = %g: error %v", lt.Kind, a.Name, bad[i], err)
			}
		}
		if lt.Kind == Affine {
			continue // checked as the last layer below
		}
		spec := ModelSpec{Layers: []LayerSpec{l, {Kind: Affine}}, Init: InitNormal, WeightScale: 1e-2}
		shapes, err := spec.Check([3]int{3, 9, 9}, 4)
		if err != nil {
			t.Fatalf("%s on 3x9x9: %v", lt.Kind, err)
		}
		m, err := Build[float64](spec, [3]int{3, 9, 9}, 4, 0)
		if err != nil {
			t.Fatal(err)
		}
		var n float64
		for _, p := range m.Params() {
			n += float64(len(p.Value.Data))
		}
		if got := shapes[0].Params + shapes[1].Params; got != n {
			t.Errorf("%s: Check counts %g parameters, the model has %g", lt.Kind, got, n)
		}
	}
	if _, err := (ModelSpec{Layers: []LayerSpec{{Kind: "lstm"}, {Kind: Affine}}, WeightScale: 1}).Check([3]int{1, 4, 4}, 2); err == nil ||
		!strings.Contains(err.Error(), "unknown layer kind (known: "+strings.Join(LayerKinds(), ", ")+")") {
		t.Errorf("unknown kind: %v", err)
	}
}

// TestLayerDefaults: conv's pad and a pool's stride follow from size when
// not given, and affine's out None is 0 (the class count), read back as nil.
func TestLayerDefaults(t *testing.T) {
	conv := LookupLayer(Conv)
	l, err := conv.Spec([]float64{8, 5, 0, 0}, []bool{true, true, false, false})
	if err != nil || l != (LayerSpec{Kind: Conv, Filters: 8, FilterH: 5, FilterW: 5, Stride: 1, Pad: 2}) {
		t.Errorf("conv(8, 5) = %+v, %v", l, err)
	}
	if got := conv.Signature(); got != "conv(filters, size, stride=1, pad=None)" {
		t.Errorf("signature %s", got)
	}
	l, _ = LookupLayer(MaxPool).Spec([]float64{3, 0}, []bool{true, false})
	if l.PoolStride != 3 {
		t.Errorf("max_pool(3) stride %d", l.PoolStride)
	}
	l, _ = LookupLayer(Affine).Spec([]float64{0}, []bool{false})
	if l.Out != 0 || LookupLayer(Affine).Values(l)[0] != nil {
		t.Errorf("affine() = %+v", l)
	}
	if err := (Arg{Name: "p", Type: ArgProb}).Check(math.NaN()); err == nil || err.Error() != "for parameter p: got NaN, want a probability in [0, 1)" {
		t.Errorf("NaN probability: %v", err)
	}
}
