package search

import (
	"math"
	"slices"
	"testing"
)

// space is a search space like search.star's: log lr, log reg, dropout,
// hidden size, and a choice among four optimisers.
var space = []Axis{
	{Name: "lr", Kind: Float, Lo: math.Log(1e-5), Hi: math.Log(1e-1)},
	{Name: "reg", Kind: Float, Lo: math.Log(1e-6), Hi: math.Log(1)},
	{Name: "dropout", Kind: Float, Lo: 0, Hi: 0.9},
	{Name: "hidden_dim", Kind: Int, Lo: 50 - 0.5, Hi: 1000 + 0.5},
	{Name: "optimizer", Kind: Choice, Lo: 0, Hi: 4},
}

// objective is a smooth synthetic "validation accuracy" with its optimum
// at lr 1e-3, reg 1e-4, dropout 0.3, hidden 600, optimiser 2: no training,
// just a function of the settings.
func objective(x []float64) float64 {
	lr := math.Log10(math.Exp(x[0]))
	reg := math.Log10(math.Exp(x[1]))
	h := math.Round(x[3])
	opt := int(x[4])
	loss := (lr+3)*(lr+3) + 0.3*(reg+4)*(reg+4) + 4*(x[2]-0.3)*(x[2]-0.3) + math.Pow((h-600)/400, 2)
	if opt != 2 {
		loss += 0.5
	}
	return 1 - 0.5*(1-math.Exp(-loss))
}

// run searches like the search builtin: rounds of batch proposals, each
// seeing the observations of earlier rounds, and returns the best value.
func run(t *testing.T, s Sampler, seed uint64, trials, batch int) (best float64, xs [][]float64) {
	var obs []Observation
	best = math.Inf(-1)
	for lo := 0; lo < trials; lo += batch {
		hist := slices.Clone(obs)
		for i := lo; i < min(lo+batch, trials); i++ {
			x, err := Propose(s, space, seed, i, hist)
			if err != nil {
				t.Fatal(err)
			}
			for d, a := range space {
				if x[d] < a.Lo || x[d] > a.Hi {
					t.Fatalf("%s proposal %d: %s = %g outside [%g, %g]", s, i, a.Name, x[d], a.Lo, a.Hi)
				}
			}
			v := objective(x)
			obs = append(obs, Observation{X: x, Value: v})
			xs = append(xs, x)
			best = max(best, v)
		}
	}
	return best, xs
}

// TestTPEBeatsRandom: over 10 search seeds at equal budgets, TPE's median
// best value is higher than random search's. The budget is 64 trials in
// rounds of 8 (search()'s default batch): TPE spends its first 16 at
// random (two rounds before 10 observations exist) and models the rest.
// The log also shows 40 trials, where rounds of 8 leave TPE too few
// modelled rounds to win and one proposal per round does.
func TestTPEBeatsRandom(t *testing.T) {
	medians := func(trials, batch int) (rnd, tpe float64) {
		var rs, ts []float64
		for seed := range uint64(10) {
			r, _ := run(t, Random, seed, trials, batch)
			p, _ := run(t, TPE, seed, trials, batch)
			rs, ts = append(rs, r), append(ts, p)
		}
		return median(rs), median(ts)
	}
	for _, c := range [][2]int{{40, 8}, {40, 1}} {
		mr, mt := medians(c[0], c[1])
		t.Logf("median best value over 10 seeds, %d trials in rounds of %d: random %.4f, TPE %.4f", c[0], c[1], mr, mt)
	}
	mr, mt := medians(64, 8)
	t.Logf("median best value over 10 seeds, 64 trials in rounds of 8: random %.4f, TPE %.4f", mr, mt)
	if !(mt > mr) {
		t.Errorf("TPE median best %.4f does not beat random's %.4f", mt, mr)
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	return (s[(n-1)/2] + s[n/2]) / 2
}

// TestProposalsReproducible: a proposal depends only on seed, index and
// the observations, so the same search gives the same points, and TPE's
// first StartupTrials points are random search's.
func TestProposalsReproducible(t *testing.T) {
	_, a := run(t, TPE, 3, 24, 8)
	_, b := run(t, TPE, 3, 24, 8)
	_, r := run(t, Random, 3, 24, 8)
	if !slices.EqualFunc(a, b, slices.Equal) {
		t.Error("two runs of one TPE search proposed different points")
	}
	if !slices.EqualFunc(a[:16], r[:16], slices.Equal) {
		t.Error("TPE's startup proposals differ from random search's")
	}
	if slices.EqualFunc(a[16:], r[16:], slices.Equal) {
		t.Error("TPE proposed random search's points after its startup")
	}
	_, other := run(t, Random, 4, 24, 8)
	if slices.Equal(r[0], other[0]) {
		t.Error("seeds 3 and 4 proposed the same first point")
	}
}

// TestParzenDensity: a Parzen estimator is a density on its axis (it
// integrates to 1), and its samples stay on the axis.
func TestParzenDensity(t *testing.T) {
	r := newStream(1, 1, streamTPE)
	for _, a := range space {
		p := newParzen(a, []float64{a.Lo + 0.3*(a.Hi-a.Lo), a.Lo + 0.35*(a.Hi-a.Lo), a.Hi})
		total := 0.0
		switch a.Kind {
		case Choice:
			for c := 0; c < int(a.Hi); c++ {
				total += math.Exp(p.logPDF(float64(c) + 0.5))
			}
		case Int:
			for v := a.Lo + 0.5; v <= a.Hi-0.5; v++ {
				total += math.Exp(p.logPDF(v))
			}
		default:
			const n = 20000
			h := (a.Hi - a.Lo) / n
			for i := range n {
				total += math.Exp(p.logPDF(a.Lo+(float64(i)+0.5)*h)) * h
			}
		}
		if math.Abs(total-1) > 1e-3 {
			t.Errorf("%s: density integrates to %.6f, want 1", a.Name, total)
		}
		for range 1000 {
			if x := p.sample(r); x < a.Lo || x > a.Hi {
				t.Fatalf("%s: sample %g outside [%g, %g]", a.Name, x, a.Lo, a.Hi)
			}
		}
	}
}

// TestOptunaDefaults pins γ, the weights and the bandwidths to Optuna's
// formulas on hand-worked cases.
func TestOptunaDefaults(t *testing.T) {
	for n, want := range map[int]int{1: 1, 10: 1, 11: 2, 40: 4, 300: 25} {
		if got := gamma(n); got != want {
			t.Errorf("gamma(%d) = %d, want %d", n, got, want)
		}
	}
	w := weights(27)
	if w[0] != 1.0/27 || w[1] != 1 || w[26] != 1 {
		t.Errorf("weights(27) = %v, want ramp [1/27, 1] then 25 ones", w)
	}
	// Centres 0.2, 0.5 (prior), 0.6 on [0, 1]: inner 0.5 gets max(0.3, 0.1);
	// the first and last take their inner neighbour's distance.
	got := bandwidths([]float64{0.2, 0.6, 0.5}, 0, 1)
	want := []float64{0.3, 0.1, 0.3}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("bandwidths = %v, want %v", got, want)
			break
		}
	}
}

func TestProposeErrors(t *testing.T) {
	if _, err := Propose("grid", space, 0, 0, nil); err == nil {
		t.Error("unknown sampler accepted")
	}
	if _, err := Propose(TPE, space, 0, 0, []Observation{{X: []float64{1}}}); err == nil {
		t.Error("observation of the wrong width accepted")
	}
}
