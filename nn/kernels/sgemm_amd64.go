//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// hasAVX2 says the CPU can run the AVX2/FMA kernels, hasAVX512 the AVX-512
// ones; x/sys/cpu also checks that the OS saves the YMM / ZMM registers.
var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// useAVX2 selects the assembly micro-kernels and packing, useAVX512 the
// 512-bit micro-kernels on top (see SetPath).
var useAVX2, useAVX512 bool

func paths() []string {
	switch {
	case hasAVX512:
		return []string{"avx512", "avx2", "go"}
	case hasAVX2:
		return []string{"avx2", "go"}
	}
	return []string{"go"}
}

func setPath(name string) {
	useAVX2 = name == "avx2" || name == "avx512"
	useAVX512 = name == "avx512"
	nr = 24
	if useAVX512 {
		nr = 48
	}
}

// kernel8x48AVX512 is the micro-kernel for B micro-panels 48 wide
// (sgemm_amd64.s), on two consecutive packed A micro-panels (8 rows; the
// second at a + kc·4). Row p of the B panel is at b + p·ldb: ldb is 48 for
// a packed panel, or the row stride of an unpacked B (see directB). With
// pf ≠ 0 it also prefetches the cache line pf bytes past each row of B it
// reads. kernelEdgeAVX512 computes only the first h ≤ 8 rows and the
// columns set in mask (the first w ≤ 48, in nv = ⌈w/16⌉ vectors), reading
// and writing nothing outside them, and prefetches likewise (its own line
// when pf is 0). Same operations per element as kernel4x24AVX2. kc must be
// at least 1.
//
//go:noescape
func kernel8x48AVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, pf int)

// kernel9x48AVX512 is kernel8x48AVX512 plus a ninth row of A, from the
// micro-panel column at a9, into the C row at c9.
//
//go:noescape
func kernel9x48AVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, pf int, a9, c9 *float32)

//go:noescape
func kernelEdgeAVX512(kc int, a, b, c *float32, ldc int, beta float32, ldb, h, nv int, mask uint64, pf int)

// directB says whether the micro-kernels can read a stored, untransposed B
// in place (the AVX-512 path), so that B needs no packing.
func directB() bool { return useAVX512 }

// wideKernels is macroKernel on the AVX-512 path (false on the others).
func wideKernels(mc, nc, kc int, ap, bp []float32, beta float32, c []float32, ldc int) bool {
	if !useAVX512 {
		return false
	}
	full := nc / nr
	ldEdge := edgeWidth(nc - full*nr)
	macroKernelAVX512(mc, nc, kc, ap, bp, nr, kc*nr, ldEdge, beta, c, ldc, 0, 0)
	return true
}

// macroKernelDirect is macroKernel for an unpacked B (row stride ldb) on
// the AVX-512 path: each B panel is read from B itself by every
// micro-kernel that uses it, instead of from a packed copy. B is then read
// once per product, typically from memory, each row of a panel a different
// stream: too many for the hardware prefetchers, so the 8-row kernels
// prefetch the panel two on, one cache line of each of its rows per k
// step, the first four tiles of a panel a different line each (all four
// for a 48-float row that straddles lines; issuing them all in one kernel
// stalls it on the L1's misses in flight). The last two panels prefetch
// the first two of the block the caller multiplies next, next bytes past b
// (0: the panels after these, as when n is cut into blocks). The operations
// per element are those of macroKernel.
func macroKernelDirect(mc, nc, kc int, ap, b []float32, ldb int, beta float32, c []float32, ldc, next int) {
	macroKernelAVX512(mc, nc, kc, ap, b, ldb, nr, ldb, beta, c, ldc, 2*nr*4, next)
}

// pfLines are the offsets of the cache lines of a panel row that the tiles
// of a panel prefetch (see macroKernelDirect).
var pfLines = [...]int{0, 64, 128, 191}

// macroKernelAVX512 computes C[0:mc, 0:nc] = Ap·B + beta·C with B's full
// 48-wide panels at b[q·pstride], rows ldb apart, and the last nc mod 48
// columns in a panel after them whose rows are ldEdge apart. pf is the
// prefetch distance of kernel8x48AVX512 (0 for none), next that of the
// next block (see macroKernelDirect).
func macroKernelAVX512(mc, nc, kc int, ap, b []float32, ldb, pstride, ldEdge int, beta float32, c []float32, ldc, pf, next int) {
	full := nc / nr
	w := nc - full*nr
	panels := (nc + nr - 1) / nr
	_ = ap[roundUp(mc, mr)*kc-1]
	_ = c[(mc-1)*ldc+nc-1]
	if full > 0 {
		_ = b[(full-1)*pstride+(kc-1)*ldb+nr-1]
	}
	if w > 0 {
		_ = b[full*pstride+(kc-1)*ldEdge+w-1]
	}
	// The rows past the last 8 (m8 on) go to the first tiles as ninth rows
	// when there are enough tiles, else to an edge tile.
	m8 := mc &^ (2*mr - 1)
	ninth := mc - m8
	if ninth > m8/(2*mr) {
		ninth = 0
	}
	for q := 0; q < full; q++ {
		bq := &b[q*pstride]
		d := pf
		if next != 0 && q+2 >= panels {
			d = next + (q+2-panels-q)*nr*4
		}
		for ir := 0; ir < mc; ir += 2 * mr {
			ci := &c[ir*ldc+q*nr]
			if ir >= m8 {
				if ninth == 0 {
					kernelEdgeAVX512(kc, &ap[ir*kc], bq, ci, ldc, beta, ldb, mc-ir, nr/16, 1<<nr-1, 0)
				}
				break
			}
			p := 0
			t := ir / (2 * mr)
			if pf != 0 && t < len(pfLines) {
				p = d + pfLines[t]
			}
			if t < ninth {
				r := m8 + t // row r of A is column r%mr of micro-panel r/mr
				kernel9x48AVX512(kc, &ap[ir*kc], bq, ci, ldc, beta, ldb, p, &ap[r/mr*kc*mr+r%mr], &c[r*ldc+q*nr])
				continue
			}
			kernel8x48AVX512(kc, &ap[ir*kc], bq, ci, ldc, beta, ldb, p)
		}
	}
	if w > 0 {
		be := &b[full*pstride]
		d := pf
		if next != 0 {
			d = next + (2-panels)*nr*4
		}
		for ir := 0; ir < mc; ir += 2 * mr {
			p := 0
			if t := ir / (2 * mr); pf != 0 && t < len(pfLines) {
				p = d + pfLines[t]
			}
			kernelEdgeAVX512(kc, &ap[ir*kc], be, &c[ir*ldc+full*nr], ldc, beta, ldEdge, min(2*mr, mc-ir), (w+15)/16, 1<<w-1, p)
		}
	}
}

// kernel4x24AVX2 is microKernelGo in AVX2/FMA assembly (sgemm_amd64.s),
// on raw pointers: a holds kc×4, b kc×24 packed values, c a 4×24 tile with
// row stride ldc. kc must be at least 1.
//
//go:noescape
func kernel4x24AVX2(kc int, a, b, c *float32, ldc int, beta float32)

// kernel4x8AVX2 and kernel4x16AVX2 are kernel4x24AVX2 with beta = 0 for a
// B micro-panel 8 or 16 columns wide (see edgeWidth).
//
//go:noescape
func kernel4x8AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func kernel4x16AVX2(kc int, a, b, c *float32, ldc int)

// edgeWidth is the width of the packed micro-panel that holds the last w < nr
// columns of a block of B: the next multiple of 16 on the AVX-512 path
// (whose edge kernel masks the rest), of 8 when the narrow AVX2 kernels (8
// and 16 wide) can run, else nr.
func edgeWidth(w int) int {
	if useAVX512 {
		return (w + 15) &^ 15
	}
	if !useAVX2 || w > 16 {
		return nr
	}
	return (w + 7) &^ 7
}

// edgeKernel stores the mr×wp tile A·B into c, for a B micro-panel
// wp = edgeWidth(w) wide.
func edgeKernel(kc, wp int, a, b, c []float32, ldc int) {
	if wp == nr {
		microKernel(kc, a, b, c, ldc, 0)
		return
	}
	_ = a[kc*mr-1]
	_ = b[kc*wp-1]
	_ = c[(mr-1)*ldc+wp-1]
	if wp == 8 {
		kernel4x8AVX2(kc, &a[0], &b[0], &c[0], ldc)
	} else {
		kernel4x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	}
}

// packBRowsAVX2 is packBRowsGo in assembly, for nr a multiple of 24 (24,
// or 48 on the AVX-512 path). rows and panels must be at least 1.
//
//go:noescape
func packBRowsAVX2(rows, panels int, b *float32, ldb int, dst *float32, kc, nr int)

// transpose8AVX2 transposes n8 ≥ 1 consecutive 8×8 blocks:
// dst[(8i+r)*ldd+s] = src[s*lds+8i+r] for i < n8, r, s < 8.
//
//go:noescape
func transpose8AVX2(n8 int, src *float32, lds int, dst *float32, ldd int)

// transpose8 is transpose8AVX2 on slices, or false when it cannot run.
func transpose8(n8 int, src []float32, lds int, dst []float32, ldd int) bool {
	if !useAVX2 || n8 == 0 {
		return false
	}
	_ = src[7*lds+8*n8-1]
	_ = dst[(8*n8-1)*ldd+7]
	transpose8AVX2(n8, &src[0], lds, &dst[0], ldd)
	return true
}

func microKernel(kc int, a, b, c []float32, ldc int, beta float32) {
	if !useAVX2 {
		microKernelGo(kc, a, b, c, ldc, beta)
		return
	}
	// Bounds the assembly relies on, checked once per tile.
	_ = a[kc*mr-1]
	_ = b[kc*nr-1]
	_ = c[(mr-1)*ldc+nr-1]
	// (The AVX-512 path never gets here: see wideKernels.)
	kernel4x24AVX2(kc, &a[0], &b[0], &c[0], ldc, beta)
}

func packBRows(rows, panels int, b []float32, ldb int, dst []float32, kc int) {
	if !useAVX2 || rows == 0 || panels == 0 {
		packBRowsGo(rows, panels, b, ldb, dst, kc)
		return
	}
	_ = b[(rows-1)*ldb+panels*nr-1]
	_ = dst[(panels-1)*kc*nr+rows*nr-1]
	packBRowsAVX2(rows, panels, &b[0], ldb, &dst[0], kc, nr)
}

// packA4AVX2 packs alpha times 8·n8 ≥ 8 columns of 4 rows of a (row stride
// lda) into dst as a micro-panel: dst[p*4+r] = alpha·a[r*lda+p].
//
//go:noescape
func packA4AVX2(n8 int, a *float32, lda int, dst *float32, alpha float32)

// packA4 is packA4AVX2 on slices for the first 8·⌊kc/8⌋ columns; it returns
// how many columns it packed (0 without AVX2).
func packA4(kc int, a []float32, lda int, dst []float32, alpha float32) int {
	n8 := kc / 8
	if !useAVX2 || n8 == 0 {
		return 0
	}
	_ = a[3*lda+8*n8-1]
	_ = dst[32*n8-1]
	packA4AVX2(n8, &a[0], lda, &dst[0], alpha)
	return 8 * n8
}
