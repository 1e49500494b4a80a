// Package nn holds the numerics of pipe: tensors, layers with their forward
// and backward passes, losses, initialisers, optimisers, the solver and the
// numeric gradient check. It knows nothing of Starlark or of files: the
// solver reads images through the Images interface, which nn/data's splits
// provide (nn does not import nn/data or its embedded files), and fast
// kernels live in nn/kernels.
//
// Training runs in float32; the same generic code runs in float64 for
// gradient checking. Tensors are dense, row-major, images in NCHW order.
//
// Shape bugs in the caller are programming errors and panic with an "nn: "
// prefixed message; user-facing problems (a filter larger than the image, an
// affine whose input does not match) are caught by ModelSpec.Check and Build,
// which return errors naming the layer and the sizes.
package nn
