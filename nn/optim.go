package nn

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pipe-ml/pipe/nn/kernels"
)

// Optimizer updates parameters in place from their gradients. State (moments,
// step counts) is kept per parameter index and allocated on the first Step,
// so one Optimizer serves one model's Params() slice, always in the same
// order.
type Optimizer interface {
	// Step applies one update with learning rate lr (the solver decays it).
	Step(params []*Param[float32], lr float64)

	// begin starts one update of params with learning rate lr: the
	// returned applier updates any part of any parameter from its gradient.
	// reg·w is added to the gradient of every parameter marked Decay as it
	// is read: the solver leaves the L2 term out of the gradients and saves
	// a pass over the weights, bit-identical to adding it to Grad first.
	begin(params []*Param[float32], lr, reg float64) applier

	// save returns the rule's state for params (see OptimState): its own
	// buffers, not copies, so that saving a checkpoint costs no memory;
	// they change with the next update. load replaces the state with st's
	// buffers (taken over, not copied), or says why st does not fit.
	save(params []*Param[float32]) OptimState
	load(st OptimState, params []*Param[float32]) error
}

// applier is one update under way (Optimizer.begin). apply updates the
// elements [lo, lo+len(g)) of params[k] from their gradient g on up to
// threads goroutines (the result does not depend on it). Every element is
// applied once per update, in any order; calls for different elements may
// run concurrently, which is how a layer applies its weight's gradient block
// by block while it computes it, never storing it whole.
type applier interface {
	apply(k, lo int, g []float32, threads int)
}

// updateAll is one step of o over the stored gradients of params, on up to
// threads goroutines.
func updateAll(o Optimizer, params []*Param[float32], lr, reg float64, threads int) {
	applyStored(o.begin(params, lr, reg), params, threads, false)
}

// applyStored applies a to the stored gradient of every learnt parameter,
// except, when skipDirect is set, those a layer applied during its backward
// pass (Param.direct).
func applyStored(a applier, params []*Param[float32], threads int, skipDirect bool) {
	for k, p := range params {
		if p.Buffer || skipDirect && p.direct {
			continue
		}
		a.apply(k, 0, p.grad()[:len(p.Value.Data)], threads)
	}
}

// OptimizerType is one update rule: its settings, with their defaults and
// ranges, and its constructor. The Starlark optimisers, their reference,
// their argument checks and WithDefaults all derive from this table.
type OptimizerType struct {
	Name string
	// Settings are the rule's settings in call order, lr first.
	Settings []OptimizerSetting
	make     func(OptimizerSpec) Optimizer
}

// OptimizerSetting is one setting of an update rule.
type OptimizerSetting struct {
	Name string
	// Default is the default as the reference shows it ("1e-3").
	Default string
	// Unit says the value lies in [0, 1) (a decay rate); else it is > 0.
	Unit  bool
	field func(*OptimizerSpec) *Maybe
}

// DefaultValue is the number Default names.
func (s OptimizerSetting) DefaultValue() float64 {
	v, err := strconv.ParseFloat(s.Default, 64)
	if err != nil {
		panic(fmt.Sprintf("nn: optimizer setting %s: default %q is not a number", s.Name, s.Default))
	}
	return v
}

// Check reports whether v is in the setting's range, as a *SettingError.
func (s OptimizerSetting) Check(v float64) error {
	if s.Unit {
		if !(v >= 0 && v < 1) {
			return &SettingError{Name: s.Name, Got: v, Want: "in [0, 1)"}
		}
	} else if !(v > 0) || math.IsInf(v, 0) {
		return &SettingError{Name: s.Name, Got: v, Want: "> 0"}
	}
	return nil
}

// lrSetting is the learning rate, every rule's first setting; it is a plain
// float64 in OptimizerSpec (always given), so it has no field.
func lrSetting(def string) OptimizerSetting {
	return OptimizerSetting{Name: "lr", Default: def}
}

var (
	momentumSetting = OptimizerSetting{Name: "momentum", Default: "0.9", Unit: true, field: func(s *OptimizerSpec) *Maybe { return &s.Momentum }}
	decaySetting    = OptimizerSetting{Name: "decay_rate", Default: "0.99", Unit: true, field: func(s *OptimizerSpec) *Maybe { return &s.DecayRate }}
	beta1Setting    = OptimizerSetting{Name: "beta1", Default: "0.9", Unit: true, field: func(s *OptimizerSpec) *Maybe { return &s.Beta1 }}
	beta2Setting    = OptimizerSetting{Name: "beta2", Default: "0.999", Unit: true, field: func(s *OptimizerSpec) *Maybe { return &s.Beta2 }}
	epsSetting      = OptimizerSetting{Name: "eps", Default: "1e-8", field: func(s *OptimizerSpec) *Maybe { return &s.Eps }}
)

// optimizerTypes is the registry of update rules, in the order the
// reference lists them.
var optimizerTypes = []*OptimizerType{
	{Name: "sgd", Settings: []OptimizerSetting{lrSetting("1e-2")},
		make: func(s OptimizerSpec) Optimizer { return &sgd{} }},
	{Name: "sgd_momentum", Settings: []OptimizerSetting{lrSetting("1e-2"), momentumSetting},
		make: func(s OptimizerSpec) Optimizer { return &sgdMomentum{slot: slot{name: "v"}, mu: float32(s.Momentum.v)} }},
	{Name: "rmsprop", Settings: []OptimizerSetting{lrSetting("1e-2"), decaySetting, epsSetting},
		make: func(s OptimizerSpec) Optimizer {
			return &rmsprop{slot: slot{name: "cache"}, decay: float32(s.DecayRate.v), rest: float32(1 - s.DecayRate.v), eps: float32(s.Eps.v)}
		}},
	{Name: "adam", Settings: []OptimizerSetting{lrSetting("1e-3"), beta1Setting, beta2Setting, epsSetting},
		make: func(s OptimizerSpec) Optimizer { return &adam{b1: s.Beta1.v, b2: s.Beta2.v, eps: s.Eps.v} }},
}

// OptimizerTypes returns the registered update rules in reference order.
func OptimizerTypes() []*OptimizerType { return optimizerTypes }

// LookupOptimizer returns the rule called name, or nil.
func LookupOptimizer(name string) *OptimizerType {
	for _, t := range optimizerTypes {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// OptimizerNames lists the registered update rules, sorted.
func OptimizerNames() []string {
	names := make([]string, 0, len(optimizerTypes))
	for _, t := range optimizerTypes {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return names
}

// Spec checks vals, the values of t's settings in Settings order, and
// returns the spec they make; the first one out of range is a
// *SettingError.
func (t *OptimizerType) Spec(vals []float64) (OptimizerSpec, error) {
	s := OptimizerSpec{Name: t.Name}
	for i, set := range t.Settings {
		if err := set.Check(vals[i]); err != nil {
			return OptimizerSpec{}, err
		}
		if set.field == nil {
			s.LR = vals[i]
		} else {
			*set.field(&s) = Some(vals[i])
		}
	}
	return s, nil
}

// Values returns the settings of s in t's Settings order.
func (t *OptimizerType) Values(s OptimizerSpec) []float64 {
	out := make([]float64, len(t.Settings))
	for i, set := range t.Settings {
		if set.field == nil {
			out[i] = s.LR
		} else {
			out[i] = set.field(&s).Or(set.DefaultValue())
		}
	}
	return out
}

// WithDefaults returns s with its unset settings other than lr replaced by
// the rule's defaults (sgd_momentum momentum 0.9; rmsprop decay 0.99, eps
// 1e-8; adam β1 0.9, β2 0.999, eps 1e-8); a setting set to 0 stays 0.
// Settings a rule does not use are cleared, so that equal updates have equal
// specs. An unknown rule's spec is returned as it is.
func (s OptimizerSpec) WithDefaults() OptimizerSpec {
	t := LookupOptimizer(s.Name)
	if t == nil {
		return s
	}
	out := OptimizerSpec{Name: s.Name, LR: s.LR}
	for _, set := range t.Settings[1:] {
		*set.field(&out) = Some(set.field(&s).Or(set.DefaultValue()))
	}
	return out
}

// NewOptimizer returns the update rule spec names, with defaults filled in.
// An unknown name or a setting out of range is an error that names it.
func NewOptimizer(spec OptimizerSpec) (Optimizer, error) {
	t := LookupOptimizer(spec.Name)
	if t == nil {
		return nil, fmt.Errorf("unknown optimizer %q (known: %s)", spec.Name, strings.Join(OptimizerNames(), ", "))
	}
	s := spec.WithDefaults()
	if _, err := t.Spec(t.Values(s)); err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	return t.make(s), nil
}

// state returns one zeroed slice per parameter, allocated on first use.
func state(st [][]float32, params []*Param[float32]) [][]float32 {
	if len(st) == len(params) {
		return st
	}
	st = make([][]float32, len(params))
	for i, p := range params {
		st[i] = make([]float32, len(p.Value.Data))
	}
	return st
}

// decayOf is the L2 factor of p: reg for a decayed parameter, else 0.
func decayOf(p *Param[float32], reg float64) (float32, bool) {
	if p.Decay && reg != 0 {
		return float32(reg), true
	}
	return 0, false
}

// sgd is w -= lr·dw.
type sgd struct{ step }

// step holds what every rule's update needs during one step: the
// parameters, the learning rate and the L2 factor.
type step struct {
	params []*Param[float32]
	lr     float32
	reg    float64
}

func (s *step) set(params []*Param[float32], lr, reg float64) {
	s.params, s.lr, s.reg = params, float32(lr), reg
}

// part is elements [lo, lo+len(g)) of params[k] with its L2 factor.
func (s *step) part(k, lo int, g []float32) (w []float32, d float32, decay bool) {
	p := s.params[k]
	d, decay = decayOf(p, s.reg)
	return p.Value.Data[lo : lo+len(g)], d, decay
}

func (o *sgd) Step(params []*Param[float32], lr float64) { updateAll(o, params, lr, 0, 1) }

func (*sgd) save([]*Param[float32]) OptimState { return OptimState{} }

func (*sgd) load(st OptimState, params []*Param[float32]) error { return restoreSlots(st, params, nil) }

func (o *sgd) begin(params []*Param[float32], lr, reg float64) applier {
	o.set(params, lr, reg)
	return o
}

func (o *sgd) apply(k, lo int, g []float32, _ int) {
	w, d, decay := o.part(k, lo, g)
	r := o.lr
	for i := range w {
		gi := g[i]
		if decay {
			gi += float32(d * w[i])
		}
		w[i] -= float32(r * gi)
	}
}

// sgdMomentum is v = μ·v - lr·dw; w += v.
type sgdMomentum struct {
	slot
	mu float32
}

func (o *sgdMomentum) Step(params []*Param[float32], lr float64) { updateAll(o, params, lr, 0, 1) }

func (o *sgdMomentum) begin(params []*Param[float32], lr, reg float64) applier {
	o.start(params, lr, reg)
	return o
}

func (o *sgdMomentum) apply(k, lo int, g []float32, _ int) {
	w, d, decay := o.part(k, lo, g)
	v, r := o.s[k][lo:lo+len(w)], o.lr
	for i := range w {
		gi := g[i]
		if decay {
			gi += float32(d * w[i])
		}
		v[i] = float32(o.mu*v[i]) - float32(r*gi)
		w[i] += v[i]
	}
}

// slot is the state of a rule with one value per parameter element
// (sgd_momentum's velocity, rmsprop's cache), saved under name.
type slot struct {
	step
	name string
	s    [][]float32
}

func (o *slot) save(params []*Param[float32]) OptimState {
	o.s = state(o.s, params)
	return OptimState{Slots: map[string][][]float32{o.name: o.s}}
}

func (o *slot) load(st OptimState, params []*Param[float32]) error {
	return restoreSlots(st, params, map[string]*[][]float32{o.name: &o.s})
}

// start begins an update: the slot allocated, the step's settings kept.
func (o *slot) start(params []*Param[float32], lr, reg float64) {
	o.s = state(o.s, params)
	o.set(params, lr, reg)
}

// rmsprop is c = ρ·c + (1-ρ)·dw²; w -= lr·dw / (√c + ε).
type rmsprop struct {
	slot
	decay, rest, eps float32 // rest is 1-decay, formed in float64
}

func (o *rmsprop) Step(params []*Param[float32], lr float64) { updateAll(o, params, lr, 0, 1) }

func (o *rmsprop) begin(params []*Param[float32], lr, reg float64) applier {
	o.start(params, lr, reg)
	return o
}

func (o *rmsprop) apply(k, lo int, g []float32, _ int) {
	w, d, decay := o.part(k, lo, g)
	c, r := o.s[k][lo:lo+len(w)], o.lr
	for i := range w {
		gi := g[i]
		if decay {
			gi += float32(d * w[i])
		}
		c[i] = float32(o.decay*c[i]) + float32(float32(o.rest*gi)*gi)
		w[i] -= float32(r*gi) / (float32(math.Sqrt(float64(c[i]))) + o.eps)
	}
}

// adam is Adam with bias correction, in PyTorch's formulation:
// m = β1·m + (1-β1)·dw; v = β2·v + (1-β2)·dw²;
// w -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε). The three updates run in one pass
// over each parameter (fused, vectorised: kernels.Adam), with the bias
// corrections computed once per step in float64.
type adam struct {
	step
	b1, b2, eps float64
	t           int
	m, v        [][]float32
	c           kernels.AdamConsts // this step's, without the L2 factor
}

func (o *adam) Step(params []*Param[float32], lr float64) { updateAll(o, params, lr, 0, 1) }

func (o *adam) save(params []*Param[float32]) OptimState {
	o.m, o.v = state(o.m, params), state(o.v, params)
	return OptimState{Step: o.t, Slots: map[string][][]float32{"m": o.m, "v": o.v}}
}

func (o *adam) load(st OptimState, params []*Param[float32]) error {
	if st.Step < 1 {
		return fmt.Errorf("adam step %d: must be at least 1", st.Step)
	}
	if err := restoreSlots(st, params, map[string]*[][]float32{"m": &o.m, "v": &o.v}); err != nil {
		return err
	}
	o.t = st.Step
	return nil
}

func (o *adam) begin(params []*Param[float32], lr, reg float64) applier {
	o.m, o.v = state(o.m, params), state(o.v, params)
	o.set(params, lr, reg)
	o.t++
	bc1 := 1 - powInt(o.b1, o.t)
	bc2 := 1 - powInt(o.b2, o.t)
	// 1-β is formed in float64: in float32, 1-0.999 is off by 1e-5 relative.
	o.c = kernels.AdamConsts{
		B1: float32(o.b1), C1: float32(1 - o.b1),
		B2: float32(o.b2), C2: float32(1 - o.b2),
		Step: float32(lr / bc1), InvSqrtBC2: float32(1 / math.Sqrt(bc2)), Eps: float32(o.eps),
	}
	return o
}

func (o *adam) apply(k, lo int, g []float32, threads int) {
	w, d, decay := o.part(k, lo, g)
	c := o.c
	c.Decay, c.HasDecay = d, decay
	hi := lo + len(w)
	kernels.AdamParallel(threads, w, g, o.m[k][lo:hi], o.v[k][lo:hi], &c)
}
