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
// db = row sums of dtmp, dcol = Wᵀ · dtmp, dx = col2im(dcol).
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

	im2colJob im2colJob[T]
	rowsJob   rowsJob[T]

	col, tmp, dcol []T
	out, dx        buffer[T]
	n              int // batch size of the last forward
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
	l.col = grow(l.col, g.K*np)
	l.im2colJob = im2colJob[T]{g, x.Data, n, l.col}
	kernels.ParallelRange(l.ex.count(), n, 4, &l.im2colJob)
	bias := l.b.Value.Data
	if l.cnhw {
		out := l.out.resize(n, g.F, g.OH, g.OW)
		gemm(l.ex, false, false, g.F, np, g.K, 1, l.w.Value.Data, g.K, l.col, np, 0, out.Data, np)
		l.rowsJob = rowsJob[T]{a: out.Data, n: np, bias: bias}
		kernels.ParallelRange(l.ex.count(), g.F, 4, &l.rowsJob)
		return out
	}
	l.tmp = grow(l.tmp, g.F*np)
	gemm(l.ex, false, false, g.F, np, g.K, 1, l.w.Value.Data, g.K, l.col, np, 0, l.tmp, np)
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
	gemm(l.ex, false, true, g.F, g.K, np, 1, dtmp, np, l.col, np, 0, l.w.Grad.Data, g.K)
	if !l.needDx {
		return nil
	}
	l.dcol = grow(l.dcol, g.K*np)
	gemm(l.ex, true, false, g.K, np, g.F, 1, l.w.Value.Data, g.K, dtmp, np, 0, l.dcol, np)
	dx := l.dx.resize(n, g.C, g.H, g.W)
	col2im(g, l.dcol, n, dx.Data)
	return dx
}

// im2colJob is im2colImages of one forward pass, cut by images across
// threads.
type im2colJob[T Float] struct {
	g   *convGeom
	x   []T
	n   int
	col []T
}

func (j *im2colJob[T]) Range(lo, hi int) { im2colImages(j.g, j.x, j.n, j.col, lo, hi) }

// im2col writes the receptive fields of the n images in x into col
// (K x n·OH·OW, row (c, i, j) = c·FH·FW + i·FW + j), zero where a field
// reaches into the padding.
func im2col[T Float](g *convGeom, x []T, n int, col []T) { im2colImages(g, x, n, col, 0, n) }

// im2colImages is im2col for images [imgLo, imgHi) of the n, writing their
// columns only.
func im2colImages[T Float](g *convGeom, x []T, n int, col []T, imgLo, imgHi int) {
	np := n * g.outPerImg
	for c := 0; c < g.C; c++ {
		for i := 0; i < g.FH; i++ {
			for j := 0; j < g.FW; j++ {
				row := col[((c*g.FH+i)*g.FW+j)*np:]
				lo, hi := g.validOX(j)
				for img := imgLo; img < imgHi; img++ {
					plane := x[img*g.inPerImage+c*g.H*g.W:]
					dst := row[img*g.outPerImg : (img+1)*g.outPerImg]
					if g.S == 1 && g.OW == g.W {
						im2colShift(g, i, j, lo, hi, plane, dst)
						continue
					}
					for oy := 0; oy < g.OH; oy++ {
						d := dst[oy*g.OW : (oy+1)*g.OW]
						iy := oy*g.S + i - g.P
						if iy < 0 || iy >= g.H || lo >= hi {
							clear(d)
							continue
						}
						clear(d[:lo])
						clear(d[hi:])
						src := plane[iy*g.W:]
						ix := lo*g.S + j - g.P
						if g.S == 1 {
							copy(d[lo:hi], src[ix:ix+hi-lo])
							continue
						}
						for ox := lo; ox < hi; ox++ {
							d[ox] = src[ix]
							ix += g.S
						}
					}
				}
			}
		}
	}
}

// im2colShift writes one image's row (c, i, j) of col, dst (OH x OW), from
// its input plane when S = 1 and OW = W: then dst[t] = plane[t + off] with
// the constant off = (i-P)·W + (j-P) wherever the field is inside the
// image, so one long copy moves the whole valid band of rows, and only the
// columns that wrapped around the row edges and the rows in the padding are
// cleared afterwards; the same values as the row-by-row loop, with one copy
// instead of OH short ones.
func im2colShift[T Float](g *convGeom, i, j, lo, hi int, plane, dst []T) {
	oyLo := max(0, g.P-i)
	oyHi := min(g.OH, g.H+g.P-i)
	if lo >= hi || oyLo >= oyHi {
		clear(dst)
		return
	}
	ow := g.OW
	off := (i-g.P)*g.W + (j - g.P)
	a, b := oyLo*ow+lo, (oyHi-1)*ow+hi
	copy(dst[a:b], plane[a+off:b+off])
	clear(dst[:a])
	clear(dst[b:])
	for oy := oyLo; oy < oyHi; oy++ {
		r := dst[oy*ow : (oy+1)*ow]
		clear(r[:lo])
		clear(r[hi:])
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
