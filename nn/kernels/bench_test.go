package kernels

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

var benchPath = flag.String("kernels", "", "kernel path the benchmarks use (one of Paths(); default the fastest)")

// useBenchPath switches to the -kernels path for one benchmark.
func useBenchPath(b *testing.B) {
	if *benchPath == "" {
		return
	}
	def := Path()
	if err := SetPath(*benchPath); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { SetPath(def) })
}

// BenchmarkFMAPeak measures the core's float32 FMA peak with a
// register-only loop at the widest vector the CPU has (AVX-512 where
// present): the ceiling scripts/bench.sh reports every speed against.
func BenchmarkFMAPeak(b *testing.B) {
	loop, flops, name := fmaPeak()
	if loop == nil {
		b.Skip("no register-only FMA loop for this build and CPU (amd64 with AVX2 or AVX-512 only)")
	}
	const rounds = 1 << 16
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPUSeconds()
	for b.Loop() {
		loop(rounds)
	}
	flop := flops * rounds * float64(b.N)
	b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := threadCPUSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(flop/cpu/1e9, "cpu-GFLOP/s")
	}
	b.Log("vector:", name)
}

// benchShapes are the (M, K, N) products that dominate training the base
// model: the conv as im2col (filters × C·F·F)·(C·F·F × N·H·W), the hidden
// affine forward (batch × D)·(D × hidden) and its weight gradient. They are
// the shapes of ../shared/bench/gemm_ref.py, so the GFLOP/s can be put side
// by side with OpenBLAS.
var benchShapes = [][3]int{{32, 147, 51200}, {50, 8192, 500}, {500, 50, 8192}}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			benchmarkSgemm(b, false, false, m, n, k)
		})
	}
}

// BenchmarkSgemmTrans runs the same shapes with the transposes nn's
// backward passes use (dW = doutᵀ·x is TN, dx = dout·Wᵀ is NT).
func BenchmarkSgemmTrans(b *testing.B) {
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		for _, t := range [][2]bool{{true, false}, {false, true}} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", transName(t[0], t[1]), m, k, n), func(b *testing.B) {
				benchmarkSgemm(b, t[0], t[1], m, n, k)
			})
		}
	}
}

func transName(ta, tb bool) string {
	s := []byte("NN")
	if ta {
		s[0] = 'T'
	}
	if tb {
		s[1] = 'T'
	}
	return string(s)
}

func benchmarkSgemm(b *testing.B, transA, transB bool, m, n, k int) {
	useBenchPath(b)
	rng := rand.New(rand.NewPCG(0, 0))
	a := make([]float32, m*k)
	bb := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range bb {
		bb[i] = float32(rng.NormFloat64())
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	Gemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	b.ReportAllocs()
	// On a shared machine the wall clock also counts time the thread was
	// not running; the thread's own CPU time gives a second, steadier
	// figure (cpu-GFLOP/s, Linux only).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPUSeconds()
	b.ResetTimer()
	for b.Loop() {
		Gemm(transA, transB, m, n, k, 1, a, lda, bb, ldb, 0, c, n)
	}
	flop := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := threadCPUSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(flop/cpu/1e9, "cpu-GFLOP/s")
	}
}

// BenchmarkSgemmParallel runs GemmParallel with GOMAXPROCS goroutines
// (-cpu 2 for two), to compare with gemm_ref.py at OPENBLAS_NUM_THREADS=2.
func BenchmarkSgemmParallel(b *testing.B) {
	for _, s := range benchShapes {
		m, k, n := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(0, 0))
			a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range bb {
				bb[i] = float32(rng.NormFloat64())
			}
			threads := runtime.GOMAXPROCS(0)
			GemmParallel(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			b.ReportAllocs()
			b.ResetTimer()
			// Not b.Loop: see BenchmarkTrainStep in nn (b.Loop runs before
			// -cpu's first GOMAXPROCS is set).
			for i := 0; i < b.N; i++ {
				GemmParallel(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemmConvNet runs the six products of one training step of the
// base model (batch 50, 3x32x32, 32 filters 7x7, hidden 500) with the
// transposes nn/conv.go and nn/affine.go use.
func BenchmarkSgemmConvNet(b *testing.B) {
	shapes := []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"conv-forward", false, false, 32, 51200, 147},
		{"conv-dW", false, true, 32, 147, 51200},
		{"conv-dx", true, false, 147, 51200, 32},
		{"affine-forward", false, false, 50, 500, 8192},
		{"affine-dW", true, false, 8192, 500, 50},
		{"affine-dx", false, true, 50, 8192, 500},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) { benchmarkSgemm(b, s.transA, s.transB, s.m, s.n, s.k) })
	}
}
