package nn

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/pipe-ml/pipe/nn/kernels"
)

// Model is a built network with its weights. It owns every buffer of its
// forward and backward passes, sized for the largest batch seen, so a
// training loop at a fixed batch size allocates nothing after its first step.
// A Model is not safe for concurrent use.
type Model[T Float] struct {
	spec    ModelSpec
	in      [3]int
	classes int
	layers  []layer[T]
	ps      []*Param[T]
	dscores buffer[T]
	ex      *exec     // shared with the layers
	dropout *rand.PCG // the dropout layers' stream, saved in a State
}

// exec holds how many goroutines the kernels of one model may use. The
// model and its layers share one, so SetThreads reaches every layer.
type exec struct {
	threads int
	apply   applier // the update under way in trainStep, else nil
}

// gemm is kernels.Gemm, split over the model's threads when it has several
// (bit-identical either way: see kernels.GemmParallel). A nil exec is one
// thread, for layers built outside a Model (tests, benchmarks).
func gemm[T Float](e *exec, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if e == nil || e.threads <= 1 {
		kernels.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	kernels.GemmParallel(e.threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// count is the thread count, 1 for a nil exec.
func (e *exec) count() int {
	if e == nil {
		return 1
	}
	return max(e.threads, 1)
}

// SetThreads lets the model's kernels (GEMMs, the optimiser's update) use up
// to n goroutines; n ≤ 1 runs everything on the caller's. Use it only when
// cores would otherwise be idle (a trial running alone): a sweep already
// runs one trial per core. Results are bit-identical for every n.
func (m *Model[T]) SetThreads(n int) { m.ex.threads = max(n, 1) }

// threads is the model's thread count (at least 1).
func (m *Model[T]) threads() int { return max(m.ex.threads, 1) }

// Build checks spec against the input shape and class count and initialises
// weights from a RNG seeded with seed; dropout masks come from a second
// stream derived from the same seed. Each layer is made by its registered
// type (LayerType), in order.
func Build[T Float](spec ModelSpec, in [3]int, classes int, seed uint64) (*Model[T], error) {
	shapes, err := spec.Check(in, classes)
	if err != nil {
		return nil, err
	}
	m := &Model[T]{spec: spec, in: in, classes: classes, ex: &exec{threads: 1}}
	m.dropout = rand.NewPCG(seed, streamDropout)
	b := &builder[T]{m: m, spec: spec, shapes: shapes, in: in,
		initRNG: newRand(seed, streamInit), dropRNG: rand.New(m.dropout)}
	for i, l := range spec.Layers {
		b.i = i
		if ly := buildLayer(LookupLayer(l.Kind), b, l); ly != nil {
			m.layers = append(m.layers, ly)
		}
		b.in = shapes[i].Out
	}
	return m, nil
}

// builder is Build's state while it adds layers: the model so far, the
// shapes Check computed, the RNG streams, and what neighbouring layers tell
// each other (a ReLU fused into the pool after it).
type builder[T Float] struct {
	m         *Model[T]
	spec      ModelSpec
	shapes    []LayerShape
	i         int    // the layer being built
	in        [3]int // its input shape
	initRNG   *rand.Rand
	dropRNG   *rand.Rand
	numbered  int  // weighted layers so far: W1, b1, W2, ...
	normed    int  // batch norms so far: gamma1, beta1, ...
	reluFirst bool // the previous layer was a ReLU left to this one
}

// needDx says whether the layer must compute its input gradient: not the
// first layer's, which nothing consumes.
func (b *builder[T]) needDx() bool { return b.i > 0 }

// out is the layer's output shape.
func (b *builder[T]) out() [3]int { return b.shapes[b.i].Out }

// next is the spec of the layer after this one, if any.
func (b *builder[T]) next() (LayerSpec, bool) {
	if b.i+1 < len(b.spec.Layers) {
		return b.spec.Layers[b.i+1], true
	}
	return LayerSpec{}, false
}

// newParams adds the next numbered weight (drawn from the init stream) and
// zero bias to the model.
func (b *builder[T]) newParams(wShape []int, fanIn, bLen int) (*Param[T], *Param[T]) {
	b.numbered++
	k := strconv.Itoa(b.numbered)
	w := &Param[T]{Name: "W" + k, Value: NewTensor[T](wShape...), Grad: &Tensor[T]{Shape: append([]int(nil), wShape...)}, Decay: true}
	bias := &Param[T]{Name: "b" + k, Value: NewTensor[T](bLen), Grad: NewTensor[T](bLen)}
	fillNormal(w.Value.Data, initStd(b.spec, fanIn), b.initRNG)
	b.m.ps = append(b.m.ps, w, bias)
	return w, bias
}

// lastLayer is the last layer built so far, or nil.
func (m *Model[T]) lastLayer() layer[T] {
	if len(m.layers) == 0 {
		return nil
	}
	return m.layers[len(m.layers)-1]
}

// Spec returns the spec the model was built from.
func (m *Model[T]) Spec() ModelSpec { return m.spec }

// Input returns the per-image input shape (C, H, W) the model was built for.
func (m *Model[T]) Input() [3]int { return m.in }

// Classes is the number of class scores the model produces.
func (m *Model[T]) Classes() int { return m.classes }

// Params returns the learnable tensors in layer order (W1, b1, W2, b2, ...).
// The slice and the tensors are the model's own: optimisers update them in
// place.
func (m *Model[T]) Params() []*Param[T] { return m.ps }

// forward runs every layer on x and returns the scores (N, classes).
func (m *Model[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	for _, l := range m.layers {
		x = l.forward(x, train)
	}
	return x
}

// Loss runs a training-mode forward and backward pass on a batch x (N, C, H, W)
// with labels y, leaves the gradients in Params()[i].Grad, and returns the
// mean softmax cross-entropy plus 0.5·reg·Σ‖W‖².
func (m *Model[T]) Loss(x *Tensor[T], y []int) float64 { return m.loss(x, y, true) }

// loss is the forward and backward pass of Loss; decayGrad says whether
// reg·W goes into the weights' gradients here.
func (m *Model[T]) loss(x *Tensor[T], y []int, decayGrad bool) float64 {
	loss, d := m.forwardLoss(x, y)
	m.backward(d)
	return loss + m.regularise(decayGrad)
}

// forwardLoss runs a training-mode forward pass and returns the mean
// cross-entropy and its gradient with respect to the scores.
func (m *Model[T]) forwardLoss(x *Tensor[T], y []int) (float64, *Tensor[T]) {
	scores := m.forward(x, true)
	d := m.dscores.resize(scores.Shape[0], m.classes)
	return log1p(float64(m.classes-1)) + softmaxLoss(scores, y, d.Data), d
}

// backward runs every layer's backward pass from dscores, last layer first.
func (m *Model[T]) backward(d *Tensor[T]) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		d = m.layers[i].backward(d)
	}
}

// trainStep is one training iteration on batch x with labels y: the forward
// pass and the loss (Loss's), then, when the loss is finite, the backward
// pass and opt's update at learning rate lr. An affine weight is updated
// block by block as its gradient is computed, never stored whole (less
// memory, one pass over a weight-sized array less), the other parameters
// after the backward pass; the weights are bit-identical to those of Loss
// followed by opt.Step.
func trainStep(m *Model[float32], x *Tensor[float32], y []int, opt Optimizer, lr float64) float64 {
	loss, d := m.forwardLoss(x, y)
	loss += m.regularise(false) // before the update changes the weights
	if !isFinite(loss) {
		return loss
	}
	a := opt.begin(m.ps, lr, m.spec.Reg)
	m.ex.apply = a
	m.backward(d)
	m.ex.apply = nil
	applyStored(a, m.ps, m.threads(), true)
	return loss
}

// dataLoss is the training-mode loss without the backward pass and without
// the constant ln C (see softmaxLoss), for the numeric gradient.
func (m *Model[T]) dataLoss(x *Tensor[T], y []int) float64 {
	scores := m.forward(x, true)
	d := m.dscores.resize(scores.Shape[0], m.classes)
	return softmaxLoss(scores, y, d.Data) + m.regularise(false)
}

// regularise returns 0.5·reg·Σ‖W‖² over the decayed parameters and, when grad
// is set, adds reg·W to their gradients. Each ‖W‖² runs in float64 over four
// interleaved partial sums (kernels.SumSquares: vectorised, and breaking the
// add latency chain) in a fixed order, so it is the same on every run.
func (m *Model[T]) regularise(grad bool) float64 {
	reg := m.spec.Reg
	if reg == 0 {
		return 0
	}
	var sum float64
	r := T(reg)
	for _, p := range m.ps {
		if !p.Decay {
			continue
		}
		w := p.Value.Data
		if f32, ok := any(w).([]float32); ok {
			sum += kernels.SumSquares(f32)
		} else {
			sum += sumSquares(w)
		}
		if grad {
			g := p.grad()
			for i, v := range w {
				g[i] += T(r * v)
			}
		}
	}
	return 0.5 * reg * sum
}

// Scores runs a test-mode forward pass (dropout off) and returns (N, classes).
// The tensor is a buffer of the model, overwritten by the next call to Scores
// or Loss.
func (m *Model[T]) Scores(x *Tensor[T]) *Tensor[T] { return m.forward(x, false) }

// Predict writes the index of the highest score of each image of x into dst
// (len N), the first one on ties.
func (m *Model[T]) Predict(x *Tensor[T], dst []int) { argmaxRows(m.Scores(x), dst) }

// argmaxRows writes the index of the highest score of each row of s
// (N, classes) into dst, the first one on ties.
func argmaxRows[T Float](s *Tensor[T], dst []int) {
	c := s.Shape[1]
	for i := range dst {
		row := s.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		dst[i] = best
	}
}

// isFinite reports whether v is neither NaN nor infinite.
func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// sumSquares is kernels.SumSquares for any Float (float64 for gradient
// checks), with the same order of operations.
func sumSquares[T Float](w []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(w); i += 4 {
		w0, w1, w2, w3 := float64(w[i]), float64(w[i+1]), float64(w[i+2]), float64(w[i+3])
		s0 += float64(w0 * w0)
		s1 += float64(w1 * w1)
		s2 += float64(w2 * w2)
		s3 += float64(w3 * w3)
	}
	for ; i < len(w); i++ {
		s0 += float64(float64(w[i]) * float64(w[i]))
	}
	return (s0 + s1) + (s2 + s3)
}
