package nn

import (
	"math"
	"math/rand/v2"
)

// Streams of the per-model PCG generator: one seed gives independent,
// reproducible streams for weights, dropout masks, shuffling and the samples
// of the training accuracy, so that changing one use (say, adding dropout)
// does not shift the random numbers of another.
const (
	streamInit uint64 = 0x9e3779b97f4a7c15 + iota
	streamDropout
	streamShuffle
	streamAccSample
)

// newRand returns the generator of one stream of seed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// initStd is the standard deviation of a weight tensor with fan-in fanIn.
func initStd(spec ModelSpec, fanIn int) float64 {
	switch spec.Init {
	case InitHe:
		return math.Sqrt(2 / float64(fanIn))
	case InitXavier:
		return math.Sqrt(1 / float64(fanIn))
	}
	return spec.WeightScale
}

// fillNormal fills w with N(0, std²) draws of rng. The draws are float64 and
// rounded to T, so a float32 and a float64 model from the same seed start
// from the same weights up to rounding.
func fillNormal[T Float](w []T, std float64, rng *rand.Rand) {
	for i := range w {
		w[i] = T(rng.NormFloat64() * std)
	}
}
