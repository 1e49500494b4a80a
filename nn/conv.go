package nn

import (
	"fmt"

	"github.com/pipe-ml/pipe/nn/kernels"
)

// Conv is a 2-D convolution (convLayer).
const Conv LayerKind = "conv"

var _ = registerLayer(&LayerType{
	Kind: Conv,
	Doc:  "size x size convolution; pad None keeps the size: (size-1)//2 zeros a side.",
	Args: []Arg{
		{Name: "filters", Type: ArgInt, Min: 1, get: func(l LayerSpec) any { return l.Filters }},
		{Name: "size", Type: ArgInt, Min: 1, get: func(l LayerSpec) any { return l.FilterH }},
		{Name: "stride", Type: ArgInt, Default: "1", Min: 1, get: func(l LayerSpec) any { return l.Stride }},
		{Name: "pad", Type: ArgInt, Default: "None", Min: 0, get: func(l LayerSpec) any { return l.Pad }},
	},
	spec: func(a ArgValues) LayerSpec {
		size, pad := a.Int("size"), (a.Int("size")-1)/2
		if a.Given("pad") {
			pad = a.Int("pad")
		}
		return LayerSpec{Filters: a.Int("filters"), FilterH: size, FilterW: size, Stride: a.Int("stride"), Pad: pad}
	},
	shape: convShape,
	params: func(l LayerSpec, in, _ [3]int) float64 {
		return float64(l.Filters) * (float64(in[0]*l.FilterH*l.FilterW) + 1)
	},
	build: buildWith(buildConv[float32], buildConv[float64]),
})

// convShape checks a conv's settings against its input. A filter larger than
// the unpadded input is rejected even when padding makes room: it would
// mostly see zeros, and is the classic slip of a filter size meant for
// larger images (filter_size=33 on 28x28 Fashion-MNIST).
func convShape(l LayerSpec, in [3]int, _ int) ([3]int, error) {
	h, w := in[1], in[2]
	switch {
	case l.Filters < 1:
		return in, fmt.Errorf("%d filters: need at least 1", l.Filters)
	case l.FilterH < 1 || l.FilterW < 1:
		return in, fmt.Errorf("filter %dx%d: both sizes must be at least 1", l.FilterH, l.FilterW)
	case l.Stride < 1:
		return in, fmt.Errorf("stride %d: must be at least 1", l.Stride)
	case l.Pad < 0:
		return in, fmt.Errorf("padding %d: must be ≥ 0", l.Pad)
	}
	ph, pw := h+2*l.Pad, w+2*l.Pad
	if l.FilterH > ph || l.FilterW > pw {
		return in, fmt.Errorf("%dx%d filter larger than padded input %dx%d", l.FilterH, l.FilterW, ph, pw)
	}
	if l.FilterH > h || l.FilterW > w {
		return in, fmt.Errorf("%dx%d filter larger than its %dx%d input", l.FilterH, l.FilterW, h, w)
	}
	return [3]int{l.Filters, (ph-l.FilterH)/l.Stride + 1, (pw-l.FilterW)/l.Stride + 1}, nil
}

func buildConv[T Float](b *builder[T], l LayerSpec) layer[T] {
	g := newConvGeom(b.in, l.Filters, l.FilterH, l.FilterW, l.Stride, l.Pad)
	w, bias := b.newParams([]int{l.Filters, b.in[0], l.FilterH, l.FilterW}, g.K, l.Filters)
	conv := newConvLayer(g, w, bias, b.needDx())
	conv.ex = b.m.ex
	return conv
}

// convGeom is the geometry of a convolution: input (C, H, W), F filters of
// FH x FW, stride S and P zero pixels on every side; output (F, OH, OW) with
// OH = (H + 2P - FH)/S + 1 and OW likewise.
type convGeom struct {
	C, H, W    int
	F, FH, FW  int
	S, P       int
	OH, OW     int
	K          int // C*FH*FW, the rows of the im2col matrix
	outPerImg  int // OH*OW, the columns per image
	inPerImage int // C*H*W
}

func newConvGeom(in [3]int, filters, fh, fw, stride, pad int) convGeom {
	g := convGeom{C: in[0], H: in[1], W: in[2], F: filters, FH: fh, FW: fw, S: stride, P: pad}
	g.OH = (g.H+2*pad-fh)/stride + 1
	g.OW = (g.W+2*pad-fw)/stride + 1
	g.K = g.C * fh * fw
	g.outPerImg = g.OH * g.OW
	g.inPerImage = g.C * g.H * g.W
	return g
}

// convLayer is a 2-D convolution computed as im2col + GEMM.
//
// Shapes: x (N, C, H, W), W (F, C, FH, FW), b (F), out (N, F, OH, OW).
//
// The im2col matrix col is K x N·OH·OW (K = C·FH·FW; column n·OH·OW + p is the
// receptive field of output pixel p of image n), so the whole batch is one
// GEMM: tmp (F x N·OH·OW) = W (F x K) · col, then tmp is scattered into NCHW
// order with the bias added. Backward reverses it: dW = dtmp · colᵀ,
// db = row sums of dtmp, dcol = Wᵀ · dtmp, dx = col2im(dcol). col is never
// stored: both GEMMs read it as rows made from x (im2colRows) while they
// pack it, so x must stay unchanged until backward, as affineLayer's does.
type convLayer[T Float] struct {
	g      convGeom
	w, b   *Param[T]
	needDx bool
	ex     *exec // threads for the GEMMs; nil is one
	// cnhw lays the output (and so dout) out as F x N·OH·OW, the GEMM's own
	// order, instead of NCHW: the GEMM then writes the output in place and
	// backward reads dout as is, skipping a scatter and a gather pass. Only
	// a consumer that knows it (a 2x2 pool, see poolLayer.cnhw) may set it;
	// the tensor's Shape still says (N, F, OH, OW).
	cnhw bool

	cols    im2colRows[T]
	rowsJob rowsJob[T]

	tmp, dcol []T
	out, dx   buffer[T]
	n         int // batch size of the last forward
}

func newConvLayer[T Float](g convGeom, w, b *Param[T], needDx bool) *convLayer[T] {
	return &convLayer[T]{g: g, w: w, b: b, needDx: needDx}
}

func (l *convLayer[T]) params() []*Param[T] { return []*Param[T]{l.w, l.b} }

func (l *convLayer[T]) forward(x *Tensor[T], train bool) *Tensor[T] {
	g := &l.g
	n := batchOf(Conv, x, [3]int{g.C, g.H, g.W})
	l.n = n
	np := n * g.outPerImg
	l.cols = im2colRows[T]{g, x.Data}
	bias := l.b.Value.Data
	if l.cnhw {
		out := l.out.resize(n, g.F, g.OH, g.OW)
		kernels.GemmRows(l.ex.count(), false, false, g.F, np, g.K, 1, l.w.Value.Data, g.K, &l.cols, 0, out.Data, np)
		l.rowsJob = rowsJob[T]{a: out.Data, n: np, bias: bias}
		kernels.ParallelRange(l.ex.count(), g.F, 4, &l.rowsJob)
		return out
	}
	l.tmp = grow(l.tmp, g.F*np)
	kernels.GemmRows(l.ex.count(), false, false, g.F, np, g.K, 1, l.w.Value.Data, g.K, &l.cols, 0, l.tmp, np)
	out := l.out.resize(n, g.F, g.OH, g.OW)
	for i := 0; i < n; i++ {
		for f := 0; f < g.F; f++ {
			src := l.tmp[f*np+i*g.outPerImg : f*np+(i+1)*g.outPerImg]
			dst := out.Data[(i*g.F+f)*g.outPerImg : (i*g.F+f+1)*g.outPerImg]
			bf := bias[f]
			for p, v := range src {
				dst[p] = v + bf
			}
		}
	}
	return out
}

func (l *convLayer[T]) backward(dout *Tensor[T]) *Tensor[T] {
	g := &l.g
	sameShape(Conv, dout, &l.out.Tensor)
	n := l.n
	np := n * g.outPerImg
	db := l.b.Grad.Data
	dtmp := l.tmp
	if l.cnhw {
		// dout is already F x N·OH·OW; the bias gradient sums each row in
		// the order the gather below would.
		dtmp = dout.Data
		l.rowsJob = rowsJob[T]{a: dtmp, n: np, sums: db}
		kernels.ParallelRange(l.ex.count(), g.F, 4, &l.rowsJob)
	} else {
		// Gather dout into tmp (F x N·OH·OW), summing the bias gradient on
		// the way.
		for f := range db {
			var s T
			for i := 0; i < n; i++ {
				src := dout.Data[(i*g.F+f)*g.outPerImg : (i*g.F+f+1)*g.outPerImg]
				dst := l.tmp[f*np+i*g.outPerImg : f*np+(i+1)*g.outPerImg]
				copy(dst, src)
				for _, v := range src {
					s += v
				}
			}
			db[f] = s
		}
	}
	kernels.GemmRows(l.ex.count(), false, true, g.F, g.K, np, 1, dtmp, np, &l.cols, 0, l.w.grad(), g.K)
	if !l.needDx {
		return nil
	}
	l.dcol = grow(l.dcol, g.K*np)
	gemm(l.ex, true, false, g.K, np, g.F, 1, l.w.Value.Data, g.K, dtmp, np, 0, l.dcol, np)
	dx := l.dx.resize(n, g.C, g.H, g.W)
	col2im(g, l.dcol, n, dx.Data)
	return dx
}

// im2colRows is the im2col matrix of a batch (K x N·OH·OW, row (c, i, j)
// = c·FH·FW + i·FW + j, column n·OH·OW + oy·OW + ox the receptive field of
// output pixel (oy, ox) of image n) as kernels.Rows: entry ((c, i, j), q)
// is x[n, c, oy·S+i-P, ox·S+j-P], or zero where the field reaches into the
// padding.
type im2colRows[T Float] struct {
	g *convGeom
	x []T
}

func (s *im2colRows[T]) Row(r, c0 int, dst []T) {
	g := s.g
	c, ij := r/(g.FH*g.FW), r%(g.FH*g.FW)
	i, j := ij/g.FW, ij%g.FW
	lo, hi := g.validOX(j)
	for len(dst) > 0 {
		img, t0 := c0/g.outPerImg, c0%g.outPerImg
		m := min(len(dst), g.outPerImg-t0)
		im2colSpan(g, i, j, lo, hi, s.x[img*g.inPerImage+c*g.H*g.W:][:g.H*g.W], t0, dst[:m])
		dst, c0 = dst[m:], c0+m
	}
}

// im2colSpan writes output pixels t0, t0+1, … of one image's row (c, i, j)
// of col into d, from its input plane; [lo, hi) is validOX(j).
//
// When S = 1 and OW = W, d[t-t0] = plane[t + off] with the constant
// off = (i-P)·W + (j-P) wherever the field is inside the image, so one long
// copy moves the whole valid band of rows, and only the columns that
// wrapped around the row edges and the rows in the padding are cleared
// afterwards.
func im2colSpan[T Float](g *convGeom, i, j, lo, hi int, plane []T, t0 int, d []T) {
	t1 := t0 + len(d)
	ow := g.OW
	if g.S == 1 && ow == g.W {
		oyLo := max(0, g.P-i)
		oyHi := min(g.OH, g.H+g.P-i)
		a, b := max(oyLo*ow+lo, t0), min((oyHi-1)*ow+hi, t1)
		if lo >= hi || oyLo >= oyHi || a >= b {
			clear(d)
			return
		}
		off := (i-g.P)*g.W + (j - g.P)
		copy(d[a-t0:b-t0], plane[a+off:b+off])
		clear(d[:a-t0])
		clear(d[b-t0:])
		if lo == 0 && hi == ow {
			return
		}
		for oy := max(oyLo, t0/ow); oy < oyHi && oy*ow < t1; oy++ {
			base := oy*ow - t0
			if base < 0 || base+ow > len(d) { // a row cut by the span
				clearSpan(d, t0, oy*ow, oy*ow+lo)
				clearSpan(d, t0, oy*ow+hi, (oy+1)*ow)
				continue
			}
			r := d[base:][:ow]
			for x := range lo { // a few columns: loops beat calls to clear
				r[x] = 0
			}
			for x := hi; x < ow; x++ {
				r[x] = 0
			}
		}
		return
	}
	for t := t0; t < t1; {
		oy, ox := t/ow, t%ow
		e := min(t1, (oy+1)*ow) // the end of output row oy in the span
		seg := d[t-t0 : e-t0]
		t = e
		iy := oy*g.S + i - g.P
		if iy < 0 || iy >= g.H {
			clear(seg)
			continue
		}
		src := plane[iy*g.W:][:g.W]
		for k := range seg {
			if x := ox + k; x >= lo && x < hi {
				seg[k] = src[x*g.S+j-g.P]
			} else {
				seg[k] = 0
			}
		}
	}
}

// clearSpan clears the entries of d, which holds pixels t0, t0+1, …, for
// pixels [x0, x1).
func clearSpan[T Float](d []T, t0, x0, x1 int) {
	x0, x1 = max(x0, t0)-t0, min(x1, t0+len(d))-t0
	if x0 < x1 {
		clear(d[x0:x1])
	}
}

// validOX is the range [lo, hi) of output columns whose input column
// ox·S + j - P for filter column j lies inside the image (not in padding).
func (g *convGeom) validOX(j int) (lo, hi int) {
	// ox·S + j - P ≥ 0  ⇔  ox ≥ ceil((P-j)/S);  ox·S + j - P ≤ W-1  ⇔  ox ≤ floor((W-1+P-j)/S).
	if d := g.P - j; d > 0 {
		lo = (d + g.S - 1) / g.S
	}
	if d := g.W - 1 + g.P - j; d >= 0 {
		hi = min(d/g.S+1, g.OW)
	}
	return lo, max(hi, lo)
}

// col2im is the adjoint of im2col: it sums every entry of dcol into the input
// pixel it was copied from, writing dx (n, C, H, W); padding entries are
// dropped.
func col2im[T Float](g *convGeom, dcol []T, n int, dx []T) {
	clear(dx)
	np := n * g.outPerImg
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.FH; i++ {
			for j := 0; j < g.FW; j++ {
				row := dcol[((c*g.FH+i)*g.FW+j)*np:]
				lo, hi := g.validOX(j)
				if lo >= hi {
					continue
				}
				for img := 0; img < n; img++ {
					plane := dx[img*g.inPerImage+c*g.H*g.W:]
					src := row[img*g.outPerImg : (img+1)*g.outPerImg]
					for oy := 0; oy < g.OH; oy++ {
						iy := oy*g.S + i - g.P
						if iy < 0 || iy >= g.H {
							continue
						}
						s := src[oy*g.OW+lo : oy*g.OW+hi]
						ix := lo*g.S + j - g.P
						if g.S == 1 {
							d := plane[iy*g.W+ix : iy*g.W+ix+len(s)]
							for k, v := range s {
								d[k] += v
							}
							continue
						}
						d := plane[iy*g.W:]
						for _, v := range s {
							d[ix] += v
							ix += g.S
						}
					}
				}
			}
		}
	}
}

// rowsJob is a per-filter pass over the F x N·OH·OW output of a cnhw
// conv, cut by filters across threads: adding the bias to each row (bias
// set) or summing each row into sums (the bias gradient).
type rowsJob[T Float] struct {
	a    []T
	n    int
	bias []T
	sums []T
}

func (j *rowsJob[T]) Range(lo, hi int) {
	if j.sums != nil {
		rowSums(j.a[lo*j.n:hi*j.n], j.n, j.sums[lo:hi])
		return
	}
	for f := lo; f < hi; f++ {
		row, bf := j.a[f*j.n:(f+1)*j.n], j.bias[f]
		for p := range row {
			row[p] += bf
		}
	}
}

// rowSums sets sums[f] to the sum of row f of the len(sums) x n matrix a,
// each row added up in index order. Four rows run side by side, so four
// independent chains of additions hide each other's latency; every row's
// sum is the same as a plain loop's.
func rowSums[T Float](a []T, n int, sums []T) {
	f := 0
	for ; f+4 <= len(sums); f += 4 {
		r0, r1, r2, r3 := a[f*n:][:n], a[(f+1)*n:][:n], a[(f+2)*n:][:n], a[(f+3)*n:][:n]
		var s0, s1, s2, s3 T
		for p := range r0 {
			s0 += r0[p]
			s1 += r1[p]
			s2 += r2[p]
			s3 += r3[p]
		}
		sums[f], sums[f+1], sums[f+2], sums[f+3] = s0, s1, s2, s3
	}
	for ; f < len(sums); f++ {
		var s T
		for _, v := range a[f*n:][:n] {
			s += v
		}
		sums[f] = s
	}
}
