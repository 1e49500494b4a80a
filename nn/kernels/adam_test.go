package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// adamState is one parameter with its gradient and Adam moments.
type adamState struct{ w, g, m, v []float32 }

func newAdamState(rng *rand.Rand, n int) adamState {
	s := adamState{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
	for i := range n {
		s.w[i] = float32(rng.NormFloat64())
		s.g[i] = float32(rng.NormFloat64() * 1e-2)
		if i%17 == 3 {
			s.g[i] = 0 // a zero gradient with zero moments: 0/(0+ε)
		}
	}
	return s
}

func (s adamState) clone() adamState {
	return adamState{slices.Clone(s.w), slices.Clone(s.g), slices.Clone(s.m), slices.Clone(s.v)}
}

func testConsts(t int, decay bool) *AdamConsts {
	b1, b2, lr := 0.9, 0.999, 1e-3
	bc1, bc2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
	return &AdamConsts{B1: float32(b1), C1: float32(1 - b1), B2: float32(b2), C2: float32(1 - b2),
		Step: float32(lr / bc1), InvSqrtBC2: float32(1 / math.Sqrt(bc2)), Eps: 1e-8, Decay: 1e-3, HasDecay: decay}
}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestAdamMatchesRef checks the vector kernel (and the parallel split)
// against the reference loop bit for bit over three steps, on lengths that
// are not multiples of the vector width, with and without the L2 term.
func TestAdamMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 1000, 2*adamChunk + 13} {
		for _, decay := range []bool{false, true} {
			ref := newAdamState(rng, n)
			fast, par2, par3 := ref.clone(), ref.clone(), ref.clone()
			for step := 1; step <= 3; step++ {
				c := testConsts(step, decay)
				AdamRef(ref.w, ref.g, ref.m, ref.v, c)
				Adam(fast.w, fast.g, fast.m, fast.v, c)
				AdamParallel(2, par2.w, par2.g, par2.m, par2.v, c)
				AdamParallel(3, par3.w, par3.g, par3.m, par3.v, c)
			}
			for name, got := range map[string]adamState{"Adam": fast, "AdamParallel(2)": par2, "AdamParallel(3)": par3} {
				for _, arr := range []struct {
					what      string
					want, got []float32
				}{{"w", ref.w, got.w}, {"m", ref.m, got.m}, {"v", ref.v, got.v}} {
					if i := sameBits(arr.want, arr.got); i >= 0 {
						t.Fatalf("n=%d decay=%v: %s: %s[%d] = %g, reference %g", n, decay, name, arr.what, i, arr.got[i], arr.want[i])
					}
				}
			}
		}
	}
}

// TestAdamRefFormula checks the reference against Adam computed in float64
// from its definition, to float32 accuracy.
func TestAdamRefFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := newAdamState(rng, 100)
	w, m, v := make([]float64, 100), make([]float64, 100), make([]float64, 100)
	for i := range w {
		w[i] = float64(s.w[i])
	}
	for step := 1; step <= 3; step++ {
		c := testConsts(step, true)
		AdamRef(s.w, s.g, s.m, s.v, c)
		for i := range w {
			g := float64(s.g[i]) + 1e-3*w[i]
			m[i] = 0.9*m[i] + 0.1*g
			v[i] = 0.999*v[i] + 0.001*g*g
			mh := m[i] / (1 - math.Pow(0.9, float64(step)))
			vh := v[i] / (1 - math.Pow(0.999, float64(step)))
			w[i] -= 1e-3 * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	for i := range w {
		if d := math.Abs(float64(s.w[i]) - w[i]); d > 1e-6*math.Max(1, math.Abs(w[i])) {
			t.Fatalf("w[%d] = %g, float64 Adam %g", i, s.w[i], w[i])
		}
	}
}

func TestAdamShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Adam with a short gradient did not panic")
		}
	}()
	Adam(make([]float32, 8), make([]float32, 7), make([]float32, 8), make([]float32, 8), testConsts(1, false))
}

func BenchmarkAdam(b *testing.B) {
	const n = 8192 * 500 // the base model's W2
	s := newAdamState(rand.New(rand.NewPCG(1, 2)), n)
	c := testConsts(3, true)
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			AdamRef(s.w, s.g, s.m, s.v, c)
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds()/1e6, "Melem/s")
	})
	b.Run("vec", func(b *testing.B) {
		for b.Loop() {
			Adam(s.w, s.g, s.m, s.v, c)
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds()/1e6, "Melem/s")
	})
	b.Run("parallel2", func(b *testing.B) {
		for b.Loop() {
			AdamParallel(2, s.w, s.g, s.m, s.v, c)
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds()/1e6, "Melem/s")
	})
}
