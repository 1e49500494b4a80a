// Package data holds image classification data sets as compact uint8 arrays,
// their readers (IDX for MNIST/Fashion-MNIST, CIFAR-10 binary batches), class
// selection, train/validation splits and mean-image preprocessing, and the
// embedded Fashion-MNIST subset that pipe runs on by default.
package data

// Set is a labelled image set. Pixels are kept as uint8 (N*C*H*W, NCHW order)
// so that one copy can be shared read-only by every trial.
type Set struct {
	Images  []uint8
	Labels  []uint8 // 0..len(Classes)-1
	N       int
	C, H, W int
	Classes []string // class names, indexed by label
}

// Splits are the three splits of one data selection and the preprocessing
// they share: pixels are scaled to [0, 1] and the training split's mean image
// is subtracted from every split.
type Splits struct {
	Train, Val, Test *Set
	Mean             []float32 // C*H*W, of Train after scaling
}

// Batch writes the preprocessed images idx of s into dst (len(idx)*C*H*W).
func (sp *Splits) Batch(s *Set, idx []int, dst []float32) { panic("TODO") }
