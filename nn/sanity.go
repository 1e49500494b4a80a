package nn

import "fmt"

// Streams of the sanity checks' random inputs, apart from the model's own.
const (
	streamSanityImages uint64 = 0x5a17e5 + iota
	streamSanityLabels
)

// RandomBatch returns n images of shape in with N(0, 1) pixels and n labels
// drawn uniformly from 0..classes-1, from a generator seeded with seed: the
// inputs of the course's sanity checks.
func RandomBatch[T Float](in [3]int, classes, n int, seed uint64) (*Tensor[T], []int) {
	if n < 1 || classes < 1 {
		panic(fmt.Sprintf("nn: RandomBatch: %d images of %d classes", n, classes))
	}
	x := NewTensor[T](n, in[0], in[1], in[2])
	fillNormal(x.Data, 1, newRand(seed, streamSanityImages))
	labels := newRand(seed, streamSanityLabels)
	y := make([]int, n)
	for i := range y {
		y[i] = labels.IntN(classes)
	}
	return x, y
}

// InitialLoss builds spec in float32 with seed and returns its training loss
// on n random images (RandomBatch with the same seed). For a net with small
// weights the data term is ≈ ln(classes); reg adds 0.5·reg·Σ‖W‖².
func InitialLoss(spec ModelSpec, in [3]int, classes, n int, seed uint64) (float64, error) {
	if n < 1 {
		return 0, fmt.Errorf("initial loss on %d images: need at least 1", n)
	}
	m, err := Build[float32](spec, in, classes, seed)
	if err != nil {
		return 0, err
	}
	x, y := RandomBatch[float32](in, classes, n, seed)
	return m.Loss(x, y), nil
}

// ParamError is the gradient check's finding for one parameter: the largest
// relative error of its analytic gradient against the numeric one.
type ParamError struct {
	Name    string // as in Params: W1, b1, ...
	Err     float64
	Skipped int // elements left out: every step crossed a kink (GradCheckKinks)
}

// CheckGradients builds spec in float64 with seed and runs GradCheck with step
// h on n random images (RandomBatch with the same seed): the course's
// gradient check. It returns the max relative error of every parameter, in
// Params order.
func CheckGradients(spec ModelSpec, in [3]int, classes, n int, seed uint64, h float64) ([]ParamError, error) {
	if n < 1 {
		return nil, fmt.Errorf("gradient check on %d images: need at least 1", n)
	}
	if !(h > 0 && h < 1) {
		return nil, fmt.Errorf("gradient check step %g: must be in (0, 1)", h)
	}
	m, err := Build[float64](spec, in, classes, seed)
	if err != nil {
		return nil, err
	}
	x, y := RandomBatch[float64](in, classes, n, seed)
	errs, skipped := GradCheckKinks(m, x, y, h)
	out := make([]ParamError, 0, len(m.ps))
	for _, p := range m.ps {
		if p.Buffer {
			continue
		}
		out = append(out, ParamError{p.Name, errs[p.Name], skipped[p.Name]})
	}
	return out, nil
}
