package kernels

import "unsafe"

// The float32 GEMM follows Goto and van de Geijn / BLIS: the k×n operand is
// copied, block by block, into micro-panels of nr columns ("packed B", one
// block of kc×nc, sized for L2/L3), the m×k operand into micro-panels of mr
// rows ("packed A", mc×kc, sized for L2), and a register-blocked mr×nr
// micro-kernel multiplies one A micro-panel by one B micro-panel, streaming
// both from contiguous memory. Packing also absorbs the transposes and alpha,
// and pads partial panels with zeros so the micro-kernel never sees an edge:
// edge tiles are computed into a small tile buffer and copied out, so C is
// only ever written inside its m×n part. The last, partial panel of B is
// padded only to the next multiple of 8 columns when the AVX2 kernels run
// (4×8 and 4×16 variants), so n = 24q+3 wastes 5 columns, not 21.
//
// The loop nest, outermost first:
//
//	jc over n in steps of ncBlock   pack B[pc:pc+kc, jc:jc+nc]
//	pc over k in steps of ≤kcBlock  (beta applies to the first step, then 1)
//	ic over m in steps of mcBlock   pack alpha·A[ic:ic+mc, pc:pc+kc]
//	jr over nc in steps of nr       one B micro-panel (kc×nr) stays in L1
//	ir over mc in steps of mr       micro-kernel: C[ir:ir+mr, jr:jr+nr]
//
// 4×24 suits the shapes nn uses (conv with 16/32/48 filters, batch 50,
// hidden 500): few padded rows, and 12 YMM accumulators + 3 B vectors + 1
// broadcast fill the 16 AVX2 registers. The AVX-512 path packs B 48 wide
// and multiplies two A micro-panels at once (8×48: 24 of its 32 ZMM
// registers accumulate; 9×48 when m = 8q+r with r ≤ q takes the r rows
// past the last 8 as ninth rows, 27 accumulators); its edge tiles (fewer
// rows, or a last panel narrower than 48) run a kernel that masks the
// lanes past the edge, on C in place, with no tile buffer. None of these
// sizes changes a bit of the result: only kcBlock does, and it is the same
// on every path.
const (
	mr      = 4
	nrMax   = 48
	kcBlock = 256
	mcBlock = 96   // multiple of 2·mr
	ncBlock = 3072 // multiple of every nr
)

// nr is the width of the packed B micro-panels of the path in use: 24, or
// 48 on the AVX-512 path (set by SetPath).
var nr = 24

// scratch holds the packing buffers of one sgemm call (at most
// kcBlock·(mcBlock+ncBlock) floats, 3.2 MB). They are kept in a free list
// (not a sync.Pool, which a GC empties) so that a warmed-up caller does not
// allocate.
type scratch struct {
	a, b []float32
	tile [mr * nrMax]float32

	rows  rowsB     // B given by rows (GemmRows), else src is nil
	fetch []float32 // rows fetched from rows.src before they are packed
}

// rowsB is a B operand given by rows: stored element (r, c) is
// src's (r0+r, c0+c), the offsets placing one part of a split call.
type rowsB struct {
	src    Rows[float32]
	r0, c0 int
}

var scratchPool freeList[scratch]

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// sgemm is Gemm for float32 with validated arguments and m, n > 0.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	s := scratchPool.get()
	sgemmWith(s, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	scratchPool.put(s)
}

// sgemmWith is sgemm with its packing buffers given, for k > 0 and
// alpha ≠ 0; when s.rows.src is set, B is read from it (b is unused). The k loop is cut into equal blocks of at most kcBlock (so
// k = kcBlock+1 does not leave a 1-deep block that is all overhead); the
// cut depends on k alone, which GemmParallel's bit-identity relies on.
func sgemmWith(s *scratch, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kSteps := (k + kcBlock - 1) / kcBlock
	kcStep := (k + kSteps - 1) / kSteps
	s.a = grow(s.a, kcStep*min(roundUp(m, mr), mcBlock))
	s.b = grow(s.b, kcStep*min(roundUp(n, nr), ncBlock))

	// B is read in place when a single block of A uses each of its panels
	// (m ≤ mcBlock): the panel stays in cache between the micro-kernels
	// that read it, and packing would cost as much again; a taller A reads
	// every panel once per block of A, better from a packed copy.
	direct := !transB && m <= mcBlock && s.rows.src == nil && directB()
	for jc := 0; jc < n; jc += ncBlock {
		nc := min(ncBlock, n-jc)
		for pc := 0; pc < k; pc += kcStep {
			kc := min(kcStep, k-pc)
			if direct {
				next := 0 // bytes to the next block's first panel, if not the panel after
				if pc+kc < k {
					next = kc * ldb * 4
				}
				sgemmDirectBlock(s, transA, m, nc, kc, alpha, a, lda, b[pc*ldb+jc:], ldb, pc, beta, c[jc:], ldc, next)
				continue
			}
			if s.rows.src != nil {
				packBFrom(transB, &s.rows, pc, kc, jc, nc, s.b, &s.fetch)
			} else {
				packB(transB, b, ldb, pc, kc, jc, nc, s.b)
			}
			blockBeta := beta
			if pc > 0 {
				blockBeta = 1
			}
			for ic := 0; ic < m; ic += mcBlock {
				mc := min(mcBlock, m-ic)
				packA(transA, a, lda, ic, mc, pc, kc, alpha, s.a)
				macroKernel(mc, nc, kc, s.a, s.b, blockBeta, c[ic*ldc+jc:], ldc, &s.tile)
			}
		}
	}
}

// sgemmDirectBlock is one (jc, pc) step of sgemmWith with B read in place
// (directB): the nc columns of the kc rows of B at b (row stride ldb), the
// k block starting at row pc of op(A).
func sgemmDirectBlock(s *scratch, transA bool, m, nc, kc int, alpha float32, a []float32, lda int, b []float32, ldb, pc int, beta float32, c []float32, ldc, next int) {
	if pc > 0 {
		beta = 1
	}
	for ic := 0; ic < m; ic += mcBlock {
		mc := min(mcBlock, m-ic)
		packA(transA, a, lda, ic, mc, pc, kc, alpha, s.a)
		macroKernelDirect(mc, nc, kc, s.a, b, ldb, beta, c[ic*ldc:], ldc, next)
	}
}

// macroKernel computes C[0:mc, 0:nc] = Ap·Bp + beta·C from packed panels.
func macroKernel(mc, nc, kc int, ap, bp []float32, beta float32, c []float32, ldc int, tile *[mr * nrMax]float32) {
	if wideKernels(mc, nc, kc, ap, bp, beta, c, ldc) {
		return
	}
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		wp := nr
		if w < nr {
			wp = edgeWidth(w)
		}
		bpan := bp[(jr/nr)*kc*nr:][:kc*wp]
		for ir := 0; ir < mc; ir += mr {
			h := min(mr, mc-ir)
			apan := ap[(ir/mr)*kc*mr:][:kc*mr]
			if h == mr && w == nr {
				microKernel(kc, apan, bpan, c[ir*ldc+jr:], ldc, beta)
				continue
			}
			edgeKernel(kc, wp, apan, bpan, tile[:], nr)
			storeTile(h, w, tile[:], c[ir*ldc+jr:], ldc, beta)
		}
	}
}

// storeTile sets the h×w corner of C to beta·C + the tile (row stride nr)
// an edge micro-kernel computed with beta 0: the same operation the
// micro-kernels apply in place.
func storeTile(h, w int, tile, c []float32, ldc int, beta float32) {
	for i := 0; i < h; i++ {
		row := c[i*ldc:][:w]
		t := tile[i*nr:][:w]
		if beta == 0 {
			copy(row, t)
		} else {
			for j, v := range t {
				row[j] = fma32(beta, row[j], v)
			}
		}
	}
}

// scaleC sets C = beta·C (C = 0 when beta is 0, without reading C).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA copies alpha·op(A)[i0:i0+mc, p0:p0+kc] into dst as ⌈mc/mr⌉
// micro-panels of kc×mr values (element (i, p) of a panel at p*mr+i), rows
// past mc set to zero.
func packA(transA bool, a []float32, lda, i0, mc, p0, kc int, alpha float32, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		h := min(mr, mc-ir)
		d := dst[(ir/mr)*kc*mr:][:kc*mr]
		switch {
		case !transA && h == mr:
			done := packA4(kc, a[(i0+ir)*lda+p0:], lda, d, alpha)
			r0 := a[(i0+ir)*lda+p0:][:kc]
			r1 := a[(i0+ir+1)*lda+p0:][:kc]
			r2 := a[(i0+ir+2)*lda+p0:][:kc]
			r3 := a[(i0+ir+3)*lda+p0:][:kc]
			for p := done; p < kc; p++ {
				dp := d[p*mr:][:mr]
				dp[0] = alpha * r0[p]
				dp[1] = alpha * r1[p]
				dp[2] = alpha * r2[p]
				dp[3] = alpha * r3[p]
			}
		case !transA:
			for ii := 0; ii < mr; ii++ {
				if ii >= h {
					for p := 0; p < kc; p++ {
						d[p*mr+ii] = 0
					}
					continue
				}
				for p, v := range a[(i0+ir+ii)*lda+p0:][:kc] {
					d[p*mr+ii] = alpha * v
				}
			}
		case h == mr:
			for p := 0; p < kc; p++ {
				dp := d[p*mr:][:mr]
				src := a[(p0+p)*lda+i0+ir:][:mr]
				dp[0] = alpha * src[0]
				dp[1] = alpha * src[1]
				dp[2] = alpha * src[2]
				dp[3] = alpha * src[3]
			}
		default:
			for p := 0; p < kc; p++ {
				dp := d[p*mr:][:mr]
				src := a[(p0+p)*lda+i0+ir:][:h]
				for ii, v := range src {
					dp[ii] = alpha * v
				}
				clear(dp[h:])
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc, j0:j0+nc] into dst as ⌈nc/nr⌉ micro-panels
// of kc×nr values (element (p, j) of a panel at p*nr+j), except that a last,
// partial panel of w columns is edgeWidth(w) wide; columns past nc are set
// to zero.
func packB(transB bool, b []float32, ldb, p0, kc, j0, nc int, dst []float32) {
	if !transB {
		// Row by row, so B is read as kc sequential streams.
		packBRowsAt(0, kc, b[p0*ldb+j0:], ldb, kc, nc, dst)
		return
	}
	// Bᵀ is stored: column j of op(B) is row j of b. Transpose 8×8 blocks
	// where the assembly can, the rest element by element.
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		wp := nr
		if w < nr {
			wp = edgeWidth(w)
		}
		d := dst[(jr/nr)*kc*nr:][:kc*wp]
		jj := 0
		if kc >= 8 {
			for ; jj+8 <= w; jj += 8 {
				if !transpose8(kc/8, b[(j0+jr+jj)*ldb+p0:], ldb, d[jj:], wp) {
					break
				}
				for g := jj; g < jj+8; g++ {
					for p := kc / 8 * 8; p < kc; p++ {
						d[p*wp+g] = b[(j0+jr+g)*ldb+p0+p]
					}
				}
			}
		}
		for ; jj < w; jj++ {
			for p, v := range b[(j0+jr+jj)*ldb+p0:][:kc] {
				d[p*wp+jj] = v
			}
		}
		if w < wp {
			for p := 0; p < kc; p++ {
				clear(d[p*wp+w : p*wp+wp])
			}
		}
	}
}

// packBRowsAt packs rows p0..p0+rows of a kc×nc block of B, held in b
// (row stride ldb, its first row being row p0 of the block), into their
// place in the block's micro-panels dst (laid out as packB's), the last,
// partial panel padded with zeros.
func packBRowsAt(p0, rows int, b []float32, ldb, kc, nc int, dst []float32) {
	full := nc / nr
	if full > 0 {
		packBRows(rows, full, b, ldb, dst[p0*nr:], kc)
	}
	if w := nc - full*nr; w > 0 {
		wp := edgeWidth(w)
		d := dst[full*kc*nr:][:kc*wp]
		for p := 0; p < rows; p++ {
			dp := d[(p0+p)*wp:][:wp]
			copy(dp, b[p*ldb+full*nr:][:w])
			clear(dp[w:])
		}
	}
}

// packBFrom is packB for a B given by rows: it fetches the part of the
// stored matrix the block needs into fetch, a few rows or one
// micro-panel's worth at a time so that they are packed while still in L1,
// and packs them as packB would the stored matrix; the packed panels, and
// so the product, are the same.
func packBFrom(transB bool, src *rowsB, p0, kc, j0, nc int, dst []float32, fetch *[]float32) {
	if !transB {
		rows := max(1, min(kc, 4096/nc))
		t := grow(*fetch, rows*nc)
		*fetch = t
		for p := 0; p < kc; p += rows {
			h := min(rows, kc-p)
			for q := 0; q < h; q++ {
				src.src.Row(src.r0+p0+p+q, src.c0+j0, t[q*nc:][:nc])
			}
			packBRowsAt(p, h, t, nc, kc, nc, dst)
		}
		return
	}
	// Column j of op(B) is row j of the stored matrix: fetch the nr rows of
	// one micro-panel and transpose them into it.
	t := grow(*fetch, nr*kc)
	*fetch = t
	for jr := 0; jr < nc; jr += nr {
		w := min(nr, nc-jr)
		for j := 0; j < w; j++ {
			src.src.Row(src.r0+j0+jr+j, src.c0+p0, t[j*kc:][:kc])
		}
		packB(true, t, kc, 0, kc, 0, w, dst[(jr/nr)*kc*nr:])
	}
}

// packBRowsGo is packBRows in Go: it copies the first panels·nr columns of
// rows rows of b (row stride ldb) into the first rows rows of panels
// micro-panels of kc×nr: dst[q*kc*nr+p*nr+j] = b[p*ldb+q*nr+j].
func packBRowsGo(rows, panels int, b []float32, ldb int, dst []float32, kc int) {
	if panels == 0 {
		return
	}
	for p := 0; p < rows; p++ {
		row := b[p*ldb:][:panels*nr]
		for q := 0; q < panels; q++ {
			copy(dst[q*kc*nr+p*nr:][:nr], row[q*nr:][:nr])
		}
	}
}

// microKernelGo is the portable micro-kernel: with T = Σ_p a[p*mr+i]·b[p*nr+j]
// over p < kc, each step one fused multiply-add (fma32) in the order of p
// from a zero start, it sets c[i*ldc+j] = fma32(beta, c[i*ldc+j], T[i][j])
// for i < mr, j < nr (c is not read when beta is 0, and then gets T). These
// are the operations of each lane of the assembly kernels, so both give the
// same bits.
//
// It works on 2×3 sub-tiles: six accumulators and five operands fit the
// registers Go's ABI leaves free; it walks the packed panels with pointers,
// bounds checked once on entry.
func microKernelGo(kc int, a, b, c []float32, ldc int, beta float32) {
	a = a[:kc*mr]
	b = b[:kc*nr]
	_ = c[(mr-1)*ldc+nr-1]
	for i := 0; i < mr; i += 2 {
		for j := 0; j < nr; j += 3 {
			var c00, c01, c02, c10, c11, c12 float32
			ap := unsafe.Pointer(&a[i])
			bp := unsafe.Pointer(&b[j])
			for p := 0; p < kc; p++ {
				if p > 0 {
					// Advanced at the top so the pointers never step past
					// the end of the panels.
					ap = unsafe.Add(ap, mr*4)
					bp = unsafe.Add(bp, nr*4)
				}
				a0 := *(*float32)(ap)
				a1 := *(*float32)(unsafe.Add(ap, 4))
				b0 := *(*float32)(bp)
				b1 := *(*float32)(unsafe.Add(bp, 4))
				b2 := *(*float32)(unsafe.Add(bp, 8))
				// fma32 with its rare slow path taken out of the loop
				// body, so that the fast one inlines.
				n00, ok00 := fma32Fast(a0, b0, c00)
				n01, ok01 := fma32Fast(a0, b1, c01)
				n02, ok02 := fma32Fast(a0, b2, c02)
				n10, ok10 := fma32Fast(a1, b0, c10)
				n11, ok11 := fma32Fast(a1, b1, c11)
				n12, ok12 := fma32Fast(a1, b2, c12)
				if ok00 && ok01 && ok02 && ok10 && ok11 && ok12 {
					c00, c01, c02, c10, c11, c12 = n00, n01, n02, n10, n11, n12
					continue
				}
				c00 = fma32(a0, b0, c00)
				c01 = fma32(a0, b1, c01)
				c02 = fma32(a0, b2, c02)
				c10 = fma32(a1, b0, c10)
				c11 = fma32(a1, b1, c11)
				c12 = fma32(a1, b2, c12)
			}
			r0 := c[i*ldc+j:][:3]
			r1 := c[(i+1)*ldc+j:][:3]
			if beta != 0 {
				c00 = fma32(beta, r0[0], c00)
				c01 = fma32(beta, r0[1], c01)
				c02 = fma32(beta, r0[2], c02)
				c10 = fma32(beta, r1[0], c10)
				c11 = fma32(beta, r1[1], c11)
				c12 = fma32(beta, r1[2], c12)
			}
			r0[0], r0[1], r0[2] = c00, c01, c02
			r1[0], r1[1], r1[2] = c10, c11, c12
		}
	}
}
