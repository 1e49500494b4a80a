package nn

// This file holds the types other packages build against; the functions of
// the contract live in the files named after what they do (check.go,
// model.go, solver.go, gradcheck.go, optim.go, sanity.go), the registry of
// layer types in registry.go, and the layers in one file each, each
// registering its type (conv.go, pool.go, relu.go, affine.go, dropout.go;
// the loss in softmax.go).

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
	// Grad is the gradient of the last Model.Loss, allocated by the first.
	// Training does not store the gradient of an affine layer's weight: it
	// applies the update block by block as the backward pass computes it.
	Grad  *Tensor[T]
	Decay bool // regularised by 0.5*reg*‖W‖² (weights yes, biases no)
	// Buffer marks a tensor the model keeps but does not learn (batch
	// norm's running averages): optimisers and the gradient check skip it,
	// while states and the best epoch's copies keep it like the weights.
	Buffer bool

	// direct marks a weight whose layer can apply the optimiser's update
	// during its backward pass (affineLayer.backward).
	direct bool
}

// grad is Grad's data, allocated on first use.
func (p *Param[T]) grad() []T {
	if p.Grad == nil {
		p.Grad = &Tensor[T]{Shape: append([]int(nil), p.Value.Shape...)}
	}
	if len(p.Grad.Data) != p.Value.Len() {
		p.Grad.Data = make([]T, p.Value.Len())
	}
	return p.Grad.Data
}

// OptimizerSpec names an update rule and its settings; unset settings take
// the rule's defaults (sgd_momentum 0.9; rmsprop decay 0.99, eps 1e-8; adam
// β1 0.9, β2 0.999, eps 1e-8). A set 0 is 0: sgd_momentum with Momentum
// Some(0) is plain sgd.
type OptimizerSpec struct {
	Name      string  `json:"name"` // "sgd", "sgd_momentum", "rmsprop", "adam"
	LR        float64 `json:"lr"`
	Momentum  Maybe   `json:"momentum,omitzero"`
	DecayRate Maybe   `json:"decay_rate,omitzero"`
	Beta1     Maybe   `json:"beta1,omitzero"`
	Beta2     Maybe   `json:"beta2,omitzero"`
	Eps       Maybe   `json:"eps,omitzero"`
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
	Patience    int           `json:"patience,omitempty"`     // stop after this many epochs without a better validation accuracy; 0 never stops early
}

// WithoutUnused returns c with the settings that cannot change what it
// trains set to their neutral values, so that they stay out of its trial's
// key and changing them retrains nothing: lr_decay is applied after each
// epoch, so with one epoch it is 1. It changes the learning rate a saved
// state continues with (lr·lr_decay), which a longer run continuing from the
// one-epoch state applies itself (see runtime.ContinueFrom).
func (c TrainConfig) WithoutUnused() TrainConfig {
	if c.Epochs == 1 {
		c.LRDecay = 1
	}
	return c
}

// Progress is what the solver reports after every iteration.
type Progress struct {
	Epoch, Epochs int // 1-based epoch
	Iter, Iters   int // 1-based iteration over the whole run
	Start         int // iterations taken from a State (Run.From), not trained in this call
	Loss          float64
}

// Result is what a training run produced. Status is "ok" or "diverged"; a
// diverged run stops at the iteration whose loss was NaN or Inf.
type Result struct {
	Status     Status    `json:"status"`
	DivergedAt int       `json:"diverged_at,omitempty"`
	Loss       []float64 `json:"loss"`      // per iteration
	TrainAccs  []float64 `json:"train_acc"` // per epoch
	ValAccs    []float64 `json:"val_acc"`   // per epoch
	BestEpoch  int       `json:"best_epoch"`
	StoppedAt  int       `json:"stopped_at,omitempty"` // the epoch early stopping (Patience) ended the run at; 0 if it did not
	TrainAcc   float64   `json:"final_train_acc"`      // of the best parameters
	ValAcc     float64   `json:"final_val_acc"`        // best validation accuracy
	TestAcc    float64   `json:"final_test_acc"`       // of the best parameters
}
