package nn

import "fmt"

// layer is one forward/backward pair of a sequential model.
//
// forward takes a batch x whose first dimension is N and returns the layer's
// output, a buffer the layer owns and overwrites on the next call; it keeps
// what backward needs (its input, masks, argmax positions). train selects
// training behaviour (dropout on).
//
// backward takes dout, the gradient of the loss with respect to the last
// output (same shape), writes the gradients of the layer's parameters into
// their Grad tensors (overwriting, not accumulating) and returns dx, the
// gradient with respect to the last input, again in a buffer it owns. A layer
// built with needDx false returns nil instead: the first layer of a model
// skips that work because nothing consumes it.
type layer[T Float] interface {
	forward(x *Tensor[T], train bool) *Tensor[T]
	backward(dout *Tensor[T]) *Tensor[T]
	params() []*Param[T]
}

// batchOf returns N for a batch x of images of shape in (C, H, W), and panics
// when x holds something else.
func batchOf[T Float](kind LayerKind, x *Tensor[T], in [3]int) int {
	if len(x.Shape) == 0 || x.Shape[0] < 1 || x.Len() != x.Shape[0]*in[0]*in[1]*in[2] || len(x.Data) != x.Len() {
		panic(fmt.Sprintf("nn: %s: input of shape %v (%d values) is not a batch of %v images", kind, x.Shape, len(x.Data), in))
	}
	return x.Shape[0]
}

// sameShape panics when dout does not have the shape of the output it is the
// gradient of.
func sameShape[T Float](kind LayerKind, dout, out *Tensor[T]) {
	if len(dout.Data) != len(out.Data) || dout.Shape[0] != out.Shape[0] {
		panic(fmt.Sprintf("nn: %s: gradient of shape %v for an output of shape %v", kind, dout.Shape, out.Shape))
	}
}
