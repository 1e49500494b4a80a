package search

import (
	"math"
	"slices"
)

// The TPE sampler follows Bergstra, Bardenet, Bengio and Kégl, "Algorithms
// for Hyper-Parameter Optimization" (NeurIPS 2011), section 4, with the
// defaults of Optuna's TPESampler (optuna/samplers/_tpe/sampler.py and
// parzen_estimator.py, univariate mode):
//
//   - StartupTrials (Optuna's n_startup_trials = 10) proposals at random
//     before the first model;
//   - the observations are split by value: the best γ(n) = min(⌈0.1·n⌉, 25)
//     form l(x), the rest g(x) (Optuna's default_gamma);
//   - each axis is modelled on its own (independent sampling, Optuna's
//     multivariate = False) by a Parzen estimator: one kernel per
//     observation plus a prior kernel (prior_weight = 1), mixed with
//     Optuna's default_weights (1 for the latest 25, a ramp down for older);
//   - a numeric axis's kernels are normal distributions truncated to the
//     axis, centred on the observations, the prior at the centre with the
//     axis's width; an observation's bandwidth is the larger distance to
//     its sorted neighbours (the axis ends not counted:
//     consider_endpoints = False), clipped to [width/min(100, 1+n), width]
//     (consider_magic_clip). Log axes are modelled in log space (the caller
//     passes logarithms); integer axes as bins of width 1;
//   - a choice axis's kernel for an observation gives every choice
//     prior_weight/(n+1) and the observed choice 1 more, normalised; the
//     prior kernel is uniform;
//   - CandidatesPerAxis (n_ei_candidates = 24) candidates are drawn from l,
//     and the one maximising log l(x) − log g(x) — the expected improvement
//     up to a monotone map, section 4.1 of the paper — is proposed.
//
// Differences, all chosen for reproducibility: random numbers come from
// this package's streams, not NumPy's; a proposal sees only the
// observations of earlier rounds (the caller's batches), never those of
// trials running beside it; ties in value keep proposal order.
const (
	StartupTrials     = 10
	CandidatesPerAxis = 24
	priorWeight       = 1.0
)

// gamma is Optuna's default_gamma: how many of n observations are "good".
func gamma(n int) int { return min(int(math.Ceil(0.1*float64(n))), 25) }

// weights is Optuna's default_weights for n observations in proposal
// order: 1 for the latest 25, a linear ramp from 1/n for the older.
func weights(n int) []float64 {
	w := make([]float64, n)
	if n < 25 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ramp := n - 25
	for i := range ramp {
		if ramp == 1 {
			w[i] = 1.0 / float64(n)
		} else {
			w[i] = 1.0/float64(n) + (1-1.0/float64(n))*float64(i)/float64(ramp-1)
		}
	}
	for i := ramp; i < n; i++ {
		w[i] = 1
	}
	return w
}

func tpePoint(axes []Axis, r *stream, obs []Observation) []float64 {
	// Split by value, best first; the stable sort keeps proposal order
	// among equals. Each part is then used in proposal order (Optuna sorts
	// the parts by trial number), which is what its weights ramp over.
	order := make([]int, len(obs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		va, vb := obs[a].Value, obs[b].Value
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	nBelow := gamma(len(obs))
	below, above := slices.Clone(order[:nBelow]), slices.Clone(order[nBelow:])
	slices.Sort(below)
	slices.Sort(above)

	x := make([]float64, len(axes))
	for d, a := range axes {
		l := newParzen(a, column(obs, below, d))
		g := newParzen(a, column(obs, above, d))
		best, bestScore := 0.0, math.Inf(-1)
		for range CandidatesPerAxis {
			c := l.sample(r)
			if s := l.logPDF(c) - g.logPDF(c); s > bestScore {
				best, bestScore = c, s
			}
		}
		x[d] = best
	}
	return x
}

func column(obs []Observation, idx []int, d int) []float64 {
	c := make([]float64, len(idx))
	for i, k := range idx {
		c[i] = obs[k].X[d]
	}
	return c
}

// parzen is a mixture of kernels over one axis: one per observation and
// the prior, the last.
type parzen struct {
	axis   Axis
	w      []float64   // mixture weights, summing to 1
	mu, sd []float64   // numeric kernels
	cat    [][]float64 // choice kernels: probability of each choice
}

func newParzen(a Axis, xs []float64) *parzen {
	p := &parzen{axis: a}
	w := append(weights(len(xs)), priorWeight)
	sum := 0.0
	for _, v := range w {
		sum += v
	}
	for i := range w {
		w[i] /= sum
	}
	p.w = w
	if a.Kind == Choice {
		n := int(a.Hi)
		kernels := len(xs) + 1
		for _, x := range xs {
			row := make([]float64, n)
			for c := range row {
				row[c] = priorWeight / float64(kernels)
			}
			row[min(max(int(x), 0), n-1)]++
			normalise(row)
			p.cat = append(p.cat, row)
		}
		prior := make([]float64, n)
		for c := range prior {
			prior[c] = 1 / float64(n)
		}
		p.cat = append(p.cat, prior)
		return p
	}
	lo, hi := a.Lo, a.Hi
	width := hi - lo
	p.mu = append(slices.Clone(xs), (lo+hi)/2)
	p.sd = bandwidths(p.mu, lo, hi)
	minSD := width / min(100, 1+float64(len(xs)+1))
	for i := range len(xs) {
		p.sd[i] = min(max(p.sd[i], minSD), width)
	}
	p.sd[len(xs)] = width
	return p
}

func normalise(row []float64) {
	s := 0.0
	for _, v := range row {
		s += v
	}
	for i := range row {
		row[i] /= s
	}
}

// bandwidths gives each centre (the prior's included) the larger distance
// to its neighbours in sorted order, the axis ends counting as neighbours
// except for the first and last centre (Optuna's consider_endpoints =
// False).
func bandwidths(mu []float64, lo, hi float64) []float64 {
	n := len(mu)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case mu[a] < mu[b]:
			return -1
		case mu[a] > mu[b]:
			return 1
		}
		return 0
	})
	ext := make([]float64, n+2)
	ext[0], ext[n+1] = lo, hi
	for i, k := range idx {
		ext[i+1] = mu[k]
	}
	sorted := make([]float64, n)
	for i := range n {
		sorted[i] = max(ext[i+1]-ext[i], ext[i+2]-ext[i+1])
	}
	if n+2 >= 4 {
		sorted[0] = ext[2] - ext[1]
		sorted[n-1] = ext[n] - ext[n-1]
	}
	sd := make([]float64, n)
	for i, k := range idx {
		sd[k] = sorted[i]
	}
	return sd
}

// sample draws one coordinate from the mixture.
func (p *parzen) sample(r *stream) float64 {
	k := r.pick(p.w)
	if p.cat != nil {
		return float64(r.pick(p.cat[k])) + 0.5
	}
	a := p.axis
	mu, sd := p.mu[k], p.sd[k]
	cl, ch := normCDF((a.Lo-mu)/sd), normCDF((a.Hi-mu)/sd)
	x := mu + sd*normQuantile(cl+r.open()*(ch-cl))
	x = min(max(x, a.Lo), a.Hi)
	if a.Kind == Int {
		// Sampling the bin: the integer nearest x, inside the axis.
		x = min(max(math.Round(x), a.Lo+0.5), a.Hi-0.5)
	}
	return x
}

// logPDF is the mixture's log density at x (log probability of x's bin
// for integer axes, of x's choice for choice axes).
func (p *parzen) logPDF(x float64) float64 {
	terms := make([]float64, len(p.w))
	if p.cat != nil {
		c := min(max(int(x), 0), len(p.cat[0])-1)
		for k, row := range p.cat {
			terms[k] = math.Log(p.w[k]) + math.Log(max(row[c], 1e-300))
		}
		return logSumExp(terms)
	}
	a := p.axis
	for k := range p.w {
		mu, sd := p.mu[k], p.sd[k]
		mass := normCDF((a.Hi-mu)/sd) - normCDF((a.Lo-mu)/sd)
		var lp float64
		if a.Kind == Int {
			bin := normCDF((x+0.5-mu)/sd) - normCDF((x-0.5-mu)/sd)
			lp = math.Log(max(bin, 1e-300))
		} else {
			z := (x - mu) / sd
			lp = -0.5*z*z - math.Log(sd*math.Sqrt(2*math.Pi))
		}
		terms[k] = math.Log(p.w[k]) + lp - math.Log(max(mass, 1e-300))
	}
	return logSumExp(terms)
}

func logSumExp(xs []float64) float64 {
	m := slices.Max(xs)
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range xs {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
