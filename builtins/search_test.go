package builtins

import (
	"testing"

	"go.starlark.net/starlark"
)

func TestDistributions(t *testing.T) {
	f := newFixture(t)
	f.run(`
assert.eq(str(uniform(0, 0.8)), "uniform(0.0, 0.8)")
assert.eq(str(log_uniform(1e-4, 1e-1)), "log_uniform(0.0001, 0.1)")
assert.eq(str(int_uniform(50, 500)), "int_uniform(50, 500)")
assert.eq(str(choice(["adam", "sgd"])), 'choice(["adam", "sgd"])')
assert.eq(type(uniform(0, 1)), "distribution")
`)
	for _, c := range []struct{ src, want string }{
		{"uniform(1, 1)", "uniform: for parameter hi: got 1, want > lo (1)"},
		{"uniform(0.5, 0.1)", "uniform: for parameter hi: got 0.1, want > lo (0.5)"},
		{"log_uniform(0, 1)", "log_uniform: for parameter lo: got 0, want > 0"},
		{"log_uniform(-1e-3, 1)", "log_uniform: for parameter lo: got -0.001, want > 0"},
		{"int_uniform(5, 5)", "int_uniform: for parameter hi: got 5, want > lo (5)"},
		{"int_uniform(1.5, 5)", "int_uniform: for parameter lo: got float, want int"},
		{"choice([])", "choice: for parameter values: got an empty list, want at least one value"},
		{"choice('ab')", "choice: for parameter values: got string, want a list"},
		{"uniform('a', 1)", "uniform: for parameter lo: got string, want float"},
		{"sweep(three_layer_convnet(), tiny, train_config(), grid = {'lr': log_uniform(1e-4, 1e-2)})",
			"sweep: for parameter grid: lr is log_uniform(0.0001, 0.01); a grid takes a list of values, search() takes distributions"},
	} {
		f.fails(c.src, c.want)
	}
}

// TestDistValue checks the mapping from the samplers' internal coordinate
// to setting values: 3 significant digits, kept inside [lo, hi], log space
// for log_uniform, rounding for int_uniform, index for choice.
func TestDistValue(t *testing.T) {
	u := &Dist{kind: "uniform", lo: 0.000123456, hi: 0.8}
	lg := &Dist{kind: "log_uniform", lo: 1e-4, hi: 1e-1}
	iu := &Dist{kind: "int_uniform", lo: 50, hi: 500}
	ch := &Dist{kind: "choice", choices: []starlark.Value{starlark.String("a"), starlark.String("b")}}
	for _, c := range []struct {
		d    *Dist
		x    float64
		want string
	}{
		{u, 0.123456, "0.123"},
		{u, 0.000123456, "0.000123456"}, // rounded below lo: kept at lo
		{u, 0.79999, "0.8"},
		{lg, -6.0, "0.00248"},
		{iu, 49.6, "50"},
		{iu, 500.49, "500"},
		{iu, 123.5, "124"},
		{ch, 0.2, `"a"`},
		{ch, 1.99, `"b"`},
		{ch, 2.0, `"b"`},
	} {
		if got := c.d.value(c.x).String(); got != c.want {
			t.Errorf("%s.value(%g) = %s, want %s", c.d, c.x, got, c.want)
		}
	}
	if lo, hi := lg.bounds(); lg.internal(lg.value(lo)) != lo || lg.internal(lg.value(hi)) < hi-1e-12 {
		t.Errorf("log_uniform bounds do not round-trip: %g %g", lo, hi)
	}
}
