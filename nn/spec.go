package nn

// LayerKind names a layer type of a sequential model. Each kind is declared
// and registered in its layer's file (see LayerType).
type LayerKind string

// LayerSpec is one layer of a ModelSpec. Only the fields of its Kind are used;
// the others stay zero so that specs compare and hash canonically.
type LayerSpec struct {
	Kind LayerKind `json:"kind"`

	// Conv: Filters filters of FilterH x FilterW, Stride, and Pad zero pixels
	// on each side (top, bottom, left, right).
	Filters int `json:"filters,omitempty"`
	FilterH int `json:"filter_h,omitempty"`
	FilterW int `json:"filter_w,omitempty"`
	Stride  int `json:"stride,omitempty"`
	Pad     int `json:"pad,omitempty"`

	// Pooling layers: PoolH x PoolW windows moved by PoolStride.
	PoolH      int `json:"pool_h,omitempty"`
	PoolW      int `json:"pool_w,omitempty"`
	PoolStride int `json:"pool_stride,omitempty"`

	// Affine: Out output units; 0 means "the number of classes" (used for the
	// last layer, whose size comes from the data set).
	Out int `json:"out,omitempty"`

	// Dropout: drop probability P in [0, 1) (inverted dropout).
	P float64 `json:"p,omitempty"`

	// BatchNorm: the running averages' Momentum and the Eps added to the
	// variance.
	Momentum float64 `json:"momentum,omitempty"`
	Eps      float64 `json:"eps,omitempty"`
}

// Init names a weight initialiser. Biases always start at zero.
type Init string

// The initialisers.
const (
	InitNormal Init = "normal" // N(0, WeightScale²), the course's choice
	InitHe     Init = "he"     // N(0, 2/fan_in)
	InitXavier Init = "xavier" // N(0, 1/fan_in)
)

// ModelSpec describes a network as plain data: its layers (ending in the
// affine that produces class scores; softmax cross-entropy is implied), how
// its weights start, and the L2 strength. It holds no weights.
type ModelSpec struct {
	Layers      []LayerSpec `json:"layers"`
	Init        Init        `json:"init"`
	WeightScale float64     `json:"weight_scale"`
	Reg         float64     `json:"reg"`
}

// ThreeLayerConfig holds the settings of the course's three-layer convnet.
type ThreeLayerConfig struct {
	NumFilters  int     // default 32
	FilterSize  int     // default 7; the conv keeps the spatial size, so it must be odd
	HiddenDim   int     // default 100
	NumClasses  int     // 0: from the data set
	WeightScale float64 // default 1e-3
	Reg         float64 // default 0
	Dropout     float64 // default 0; > 0 adds a dropout after the pool and after the hidden ReLU
	BatchNorm   bool    // adds a batch norm after the conv and after the hidden affine
}

// DefaultThreeLayer returns the course's defaults: 32 filters 7x7, hidden 100,
// weight scale 1e-3, no regularisation, no dropout.
func DefaultThreeLayer() ThreeLayerConfig {
	return ThreeLayerConfig{NumFilters: 32, FilterSize: 7, HiddenDim: 100, WeightScale: 1e-3}
}

// LayerShape is the output shape (C, H, W; or D, 1, 1 after an affine) of one
// layer, as ModelSpec.Check computes it, and its number of learnable values.
type LayerShape struct {
	Layer  int       // index in Layers
	Kind   LayerKind // for messages
	Out    [3]int
	Params float64 // a float64 so that absurd sizes do not overflow before size checks reject them
}
