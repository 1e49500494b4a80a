package nn

// This file is the contract other packages build against. Bodies marked
// TODO are being written; signatures change only with their callers.

import (
	"context"

	"github.com/pipe-ml/pipe/nn/data"
)

// Float is the element type of tensors: float32 to train, float64 to check
// gradients.
type Float interface{ ~float32 | ~float64 }

// Tensor is a dense row-major array; images are NCHW.
type Tensor[T Float] struct {
	Shape []int
	Data  []T
}

// Param is one learnable tensor with its gradient.
type Param[T Float] struct {
	Name  string // "W1", "b1", ... numbered by layer
	Value *Tensor[T]
	Grad  *Tensor[T]
	Decay bool // regularised by 0.5*reg*‖W‖² (weights yes, biases no)
}

// ThreeLayerConvNet returns the spec of conv - relu - 2x2 max pool - affine -
// relu - affine, with dropout layers after the pool and the hidden ReLU when
// c.Dropout > 0. Zero fields take DefaultThreeLayer's values.
func ThreeLayerConvNet(c ThreeLayerConfig) ModelSpec { panic("TODO") }

// Check computes every layer's output shape for input (C, H, W) and the given
// number of classes, or returns an error naming the first layer that does not
// fit and its sizes (e.g. `layer 1 (conv): 9x9 filter larger than padded
// input 7x7`).
func (s ModelSpec) Check(in [3]int, classes int) ([]LayerShape, error) { panic("TODO") }

// Model is a built network with its weights.
type Model[T Float] struct{}

// Build checks spec against the input shape and class count and initialises
// weights from a RNG seeded with seed; dropout masks come from a second
// stream derived from the same seed.
func Build[T Float](spec ModelSpec, in [3]int, classes int, seed uint64) (*Model[T], error) {
	panic("TODO")
}

// Params returns the learnable tensors in layer order (W1, b1, W2, b2, ...).
func (m *Model[T]) Params() []*Param[T] { panic("TODO") }

// Loss runs a training-mode forward and backward pass on a batch x (N, C, H, W)
// with labels y, leaves the gradients in Params()[i].Grad, and returns the
// mean softmax cross-entropy plus 0.5·reg·Σ‖W‖².
func (m *Model[T]) Loss(x *Tensor[T], y []int) float64 { panic("TODO") }

// Scores runs a test-mode forward pass (dropout off) and returns (N, classes).
func (m *Model[T]) Scores(x *Tensor[T]) *Tensor[T] { panic("TODO") }

// OptimizerSpec names an update rule and its settings; zero fields take the
// rule's defaults (sgd_momentum 0.9; rmsprop decay 0.99, eps 1e-8; adam β1
// 0.9, β2 0.999, eps 1e-8).
type OptimizerSpec struct {
	Name      string  `json:"name"` // "sgd", "sgd_momentum", "rmsprop", "adam"
	LR        float64 `json:"lr"`
	Momentum  float64 `json:"momentum,omitempty"`
	DecayRate float64 `json:"decay_rate,omitempty"`
	Beta1     float64 `json:"beta1,omitempty"`
	Beta2     float64 `json:"beta2,omitempty"`
	Eps       float64 `json:"eps,omitempty"`
}

// TrainConfig holds the solver's settings.
type TrainConfig struct {
	Optimizer   OptimizerSpec `json:"optimizer"`
	Epochs      int           `json:"epochs"`
	BatchSize   int           `json:"batch_size"`
	LRDecay     float64       `json:"lr_decay"` // lr *= LRDecay after each epoch; 1 keeps it
	Seed        uint64        `json:"seed"`
	TrainImages int           `json:"train_images,omitempty"` // keep only the first N training images (overfit check); 0 keeps all
	AccSamples  int           `json:"acc_samples"`            // training accuracy on at most this many sampled images; default 1000
}

// Progress is what the solver reports after every iteration.
type Progress struct {
	Epoch, Epochs int // 1-based epoch
	Iter, Iters   int // 1-based iteration over the whole run
	Loss          float64
}

// Result is what a training run produced. Status is "ok" or "diverged"; a
// diverged run stops at the iteration whose loss was NaN or Inf.
type Result struct {
	Status     string    `json:"status"`
	DivergedAt int       `json:"diverged_at,omitempty"`
	Loss       []float64 `json:"loss"`      // per iteration
	TrainAccs  []float64 `json:"train_acc"` // per epoch
	ValAccs    []float64 `json:"val_acc"`   // per epoch
	BestEpoch  int       `json:"best_epoch"`
	TrainAcc   float64   `json:"final_train_acc"` // of the best parameters
	ValAcc     float64   `json:"final_val_acc"`   // best validation accuracy
	TestAcc    float64   `json:"final_test_acc"`  // of the best parameters
}

// Train builds spec for the data's shape and classes, trains it with cfg on
// d.Train, keeps the parameters with the best validation accuracy and
// evaluates them on d.Test. progress may be nil. Cancelling ctx stops the run
// with ctx.Err().
func Train(ctx context.Context, spec ModelSpec, d *data.Splits, cfg TrainConfig, progress func(Progress)) (Result, *Model[float32], error) {
	panic("TODO")
}

// GradCheck compares the analytic gradient of m's loss on (x, y) with centred
// differences of step h and returns the max relative error per parameter name.
func GradCheck(m *Model[float64], x *Tensor[float64], y []int, h float64) map[string]float64 {
	panic("TODO")
}
