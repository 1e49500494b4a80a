package nn

// The naive convolution: the obvious loops, kept as the oracle the im2col +
// GEMM layer is tested against.

// convForwardNaive returns out (N, F, OH, OW) of x (N, C, H, W), w (F, C, FH,
// FW), b (F), stride s and p zero pixels on each side.
func convForwardNaive[T Float](x, w, b *Tensor[T], s, p int) *Tensor[T] {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	f, fh, fw := w.Shape[0], w.Shape[2], w.Shape[3]
	oh, ow := (h+2*p-fh)/s+1, (wd+2*p-fw)/s+1
	out := NewTensor[T](n, f, oh, ow)
	for i := 0; i < n; i++ {
		for k := 0; k < f; k++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					sum := b.Data[k]
					for ch := 0; ch < c; ch++ {
						for dy := 0; dy < fh; dy++ {
							for dx := 0; dx < fw; dx++ {
								iy, ix := oy*s+dy-p, ox*s+dx-p
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								sum += x.Data[((i*c+ch)*h+iy)*wd+ix] * w.Data[((k*c+ch)*fh+dy)*fw+dx]
							}
						}
					}
					out.Data[((i*f+k)*oh+oy)*ow+ox] = sum
				}
			}
		}
	}
	return out
}

// convBackwardNaive returns dx, dw, db of the convolution for dout.
func convBackwardNaive[T Float](dout, x, w *Tensor[T], s, p int) (dx, dw, db *Tensor[T]) {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	f, fh, fw := w.Shape[0], w.Shape[2], w.Shape[3]
	oh, ow := dout.Shape[2], dout.Shape[3]
	dx, dw, db = NewTensor[T](x.Shape...), NewTensor[T](w.Shape...), NewTensor[T](f)
	for i := 0; i < n; i++ {
		for k := 0; k < f; k++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					g := dout.Data[((i*f+k)*oh+oy)*ow+ox]
					db.Data[k] += g
					for ch := 0; ch < c; ch++ {
						for dy := 0; dy < fh; dy++ {
							for ddx := 0; ddx < fw; ddx++ {
								iy, ix := oy*s+dy-p, ox*s+ddx-p
								if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								xi, wi := ((i*c+ch)*h+iy)*wd+ix, ((k*c+ch)*fh+dy)*fw+ddx
								dw.Data[wi] += g * x.Data[xi]
								dx.Data[xi] += g * w.Data[wi]
							}
						}
					}
				}
			}
		}
	}
	return dx, dw, db
}
