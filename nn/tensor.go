package nn

import "fmt"

// NewTensor returns a zeroed tensor of the given shape.
func NewTensor[T Float](shape ...int) *Tensor[T] {
	n := shapeLen(shape)
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: make([]T, n)}
}

// Len is the number of elements, the product of Shape.
func (t *Tensor[T]) Len() int { return shapeLen(t.Shape) }

// shapeLen is the product of the dimensions of shape; a negative dimension is
// a programming error.
func shapeLen(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("nn: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// buffer is a tensor whose storage is kept across batches: resize reuses the
// backing array whenever it is large enough, so a training loop allocates only
// for the largest batch it sees. Layers hold their outputs and input
// gradients in buffers.
type buffer[T Float] struct {
	Tensor[T]
	store []T
}

// resize gives b the shape (n, d...) and returns its tensor. The contents are
// unspecified (stale values of an earlier batch); callers overwrite them or
// call zero.
func (b *buffer[T]) resize(n int, dims ...int) *Tensor[T] {
	size := n
	for _, d := range dims {
		size *= d
	}
	if cap(b.store) < size {
		b.store = make([]T, size)
	}
	b.Data = b.store[:size]
	if len(b.Shape) != 1+len(dims) {
		b.Shape = make([]int, 1+len(dims))
	}
	b.Shape[0] = n
	copy(b.Shape[1:], dims)
	return &b.Tensor
}

// grow makes s hold n elements, reusing its array when it is large enough.
func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}
