package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// baseModel is the course's base model: 32 filters 7x7, hidden 500, reg 1e-3.
func baseModel() ModelSpec {
	return ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 32, FilterSize: 7, HiddenDim: 500, Reg: 1e-3})
}

// BenchmarkTrainStep times one training step (forward, backward, Adam) of the
// base model on a batch of 50, cycling over 4 random batches as
// ../shared/bench/torch_ref.py throughput does, with the same class counts
// (2 for 3x32x32, 10 for 1x28x28). The model uses GOMAXPROCS threads, so
// -cpu 1 and -cpu 2 compare with torch_ref.py --threads 1 and 2.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		in      [3]int
		classes int
	}{{[3]int{3, 32, 32}, 2}, {[3]int{1, 28, 28}, 10}} {
		b.Run(fmt.Sprintf("%dx%dx%d", c.in[0], c.in[1], c.in[2]), func(b *testing.B) {
			const batch = 50
			m, err := Build[float32](baseModel(), c.in, c.classes, 0)
			if err != nil {
				b.Fatal(err)
			}
			threads := runtime.GOMAXPROCS(0) // -cpu 2: the trial runs alone on 2 cores
			m.SetThreads(threads)
			opt, _ := NewOptimizer(OptimizerSpec{Name: "adam", LR: 1e-3})
			rng := rand.New(rand.NewPCG(1, 1))
			var xs [4]*Tensor[float32]
			var ys [4][]int
			for i := range xs {
				xs[i] = randn[float32](rng, batch, c.in[0], c.in[1], c.in[2])
				ys[i] = make([]int, batch)
				for j := range ys[i] {
					ys[i][j] = rng.IntN(c.classes)
				}
			}
			for i := 0; i < 2; i++ { // warm up: buffers and optimiser state
				trainStep(m, xs[i], ys[i], opt, 1e-3)
			}
			b.ReportAllocs()
			cpu0 := processCPUSeconds()
			b.ResetTimer()
			// A b.N loop, not b.Loop: b.Loop runs the whole benchmark in
			// the first call, which for the first -cpu value happens before
			// the testing package sets GOMAXPROCS to it, so "-cpu 1,2"
			// measured 2 threads twice.
			for i := 0; i < b.N; i++ { // the solver's step (session.step) without loading the batch
				trainStep(m, xs[i%4], ys[i%4], opt, 1e-3)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
			// On a shared machine the wall clock also counts time the
			// threads waited for a core: images per second of the process's
			// CPU time, times the threads, is the rate had each had its core
			// throughout (steadier; Linux only).
			if cpu := processCPUSeconds() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N*batch*threads)/cpu, "cpu-images/s")
			}
		})
	}
}

// BenchmarkConv times the base model's conv layer (32 filters 7x7, pad 3) on
// a batch of 50, forward and backward (the backward without the input
// gradient, as the first layer runs it, and with it).
func BenchmarkConv(b *testing.B) {
	for _, in := range [][3]int{{3, 32, 32}, {1, 28, 28}} {
		rng := rand.New(rand.NewPCG(2, 2))
		x := randn[float32](rng, 50, in[0], in[1], in[2])
		w := newParam("W", randn[float32](rng, 32, in[0], 7, 7))
		bias := newParam("b", NewTensor[float32](32))
		g := newConvGeom(in, 32, 7, 7, 1, 3)
		name := fmt.Sprintf("%dx%dx%d", in[0], in[1], in[2])
		b.Run("forward/"+name, func(b *testing.B) {
			l := newConvLayer(g, w, bias, false)
			l.forward(x, true)
			b.ReportAllocs()
			defer reportCPU(b, processCPUSeconds())
			for b.Loop() {
				l.forward(x, true)
			}
		})
		for _, needDx := range []bool{false, true} {
			b.Run(fmt.Sprintf("backward/dx=%v/%s", needDx, name), func(b *testing.B) {
				l := newConvLayer(g, w, bias, needDx)
				out := l.forward(x, true)
				dout := randn[float32](rng, out.Shape...)
				l.backward(dout)
				b.ReportAllocs()
				defer reportCPU(b, processCPUSeconds())
				for b.Loop() {
					l.backward(dout)
				}
			})
		}
	}
}

// BenchmarkAffine times the base model's hidden affine layer (32·16·16 = 8192
// inputs, 500 outputs, batch 50) forward and backward.
func BenchmarkAffine(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	in := [3]int{32, 16, 16}
	x := randn[float32](rng, 50, 32, 16, 16)
	l := newAffineLayer(in, 500, newParam("W", randn[float32](rng, 8192, 500)), newParam("b", NewTensor[float32](500)), true)
	benchForwardBackward(b, rng, l, x)
}

// BenchmarkPool times the base model's 2x2 max pool (32x32x32 inputs, batch
// 50) forward and backward.
func BenchmarkPool(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randn[float32](rng, 50, 32, 32, 32)
	l := newPoolLayer[float32]([3]int{32, 32, 32}, 2, 2, 2, true)
	benchForwardBackward(b, rng, l, x)
}

// benchForwardBackward times l's forward and backward passes on x, the
// backward on a random output gradient.
func benchForwardBackward(b *testing.B, rng *rand.Rand, l layer[float32], x *Tensor[float32]) {
	out := l.forward(x, true)
	dout := randn[float32](rng, out.Shape...)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, processCPUSeconds())
		for b.Loop() {
			l.forward(x, true)
		}
	})
	b.Run("backward", func(b *testing.B) {
		b.ReportAllocs()
		defer reportCPU(b, processCPUSeconds())
		for b.Loop() {
			l.backward(dout)
		}
	})
}

// reportCPU reports the process CPU time per op since cpu0 (cpu-ns/op):
// on a shared machine the wall clock also counts time spent waiting for a
// core. Linux only; these benchmarks run single-threaded.
func reportCPU(b *testing.B, cpu0 float64) {
	if cpu := processCPUSeconds() - cpu0; cpu > 0 && b.N > 0 {
		b.ReportMetric(cpu*1e9/float64(b.N), "cpu-ns/op")
	}
}
