package nn

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/nn/kernels"
)

var update = flag.Bool("update", false, "rewrite testdata/identity.golden")

// identityRuns are the trainings TestSameBitsEveryPath pins: a conv net
// whose products have full and edge micro-tiles and a conv weight gradient
// cut into several k blocks (k = 32·64 = 2048), with each optimiser, the
// L2 term, dropout, and 1 or 3 threads.
func identityRuns() []struct {
	name    string
	spec    ModelSpec
	cfg     TrainConfig
	threads int
} {
	net := func(dropout float64) ModelSpec {
		return ThreeLayerConvNet(ThreeLayerConfig{NumFilters: 9, FilterSize: 5, HiddenDim: 30, WeightScale: 3e-2, Reg: 1e-3, Dropout: dropout})
	}
	cfg := func(opt string, lr float64) TrainConfig {
		return TrainConfig{Optimizer: OptimizerSpec{Name: opt, LR: lr}, Epochs: 2, BatchSize: 32, LRDecay: 0.9, Seed: 7, AccSamples: 50}
	}
	type run = struct {
		name    string
		spec    ModelSpec
		cfg     TrainConfig
		threads int
	}
	return []run{
		{"adam", net(0), cfg("adam", 1e-2), 1},
		{"adam-3-threads", net(0), cfg("adam", 1e-2), 3},
		{"sgd_momentum-dropout", net(0.2), cfg("sgd_momentum", 5e-2), 1},
		{"rmsprop", net(0), cfg("rmsprop", 1e-3), 1},
		{"sgd", net(0), cfg("sgd", 1e-1), 1},
	}
}

// TestSameBitsEveryPath trains small nets on every kernel path this machine
// has (kernels.Paths: AVX-512, AVX2, NEON, pure Go) and compares the loss of
// every iteration, the accuracies and a hash of the final parameters' bits
// with testdata/identity.golden, so a path that rounds differently, or a
// change to the numerics, fails here. CI runs it on amd64, with -tags
// noasm, and on arm64 under qemu. go test -run SameBitsEveryPath -update
// rewrites the file (and NumericsVersion must then change: keys change).
func TestSameBitsEveryPath(t *testing.T) {
	sp := stripeSplits(t)
	def := kernels.Path()
	defer kernels.SetPath(def)
	var want []byte
	if !*update {
		var err error
		if want, err = os.ReadFile("testdata/identity.golden"); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range kernels.Paths() {
		if err := kernels.SetPath(p); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range identityRuns() {
			ctx := WithThreads(context.Background(), r.threads)
			res, m, _, err := Train(ctx, r.spec, sp, r.cfg, Run{})
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:\n  loss", r.name)
			for _, l := range res.Loss {
				fmt.Fprintf(&b, " %x", l)
			}
			fmt.Fprintf(&b, "\n  train_acc %v val_acc %v best_epoch %d test_acc %v\n", res.TrainAccs, res.ValAccs, res.BestEpoch, res.TestAcc)
			h := sha256.New()
			for _, q := range m.Params() {
				for _, v := range q.Value.Data {
					u := math.Float32bits(v)
					h.Write([]byte{byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)})
				}
			}
			fmt.Fprintf(&b, "  params sha256 %x\n", h.Sum(nil))
		}
		got := b.String()
		if *update && want == nil {
			if err := os.WriteFile("testdata/identity.golden", []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			want = []byte(got)
			continue
		}
		if got != string(want) {
			t.Errorf("kernel path %s: training differs from testdata/identity.golden\ngot:\n%s\nwant:\n%s", p, got, want)
		}
	}
}
