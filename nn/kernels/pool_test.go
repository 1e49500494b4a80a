package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// route2x2Naive is Route2x2 written the obvious way.
func route2x2Naive(s0, s1, m, g, d0, d1 []uint32, relu bool) {
	for i, mi := range m {
		px := []uint32{s0[2*i], s0[2*i+1], s1[2*i], s1[2*i+1]}
		at := 3
		for k, v := range px {
			if v == mi {
				at = k
				break
			}
		}
		var out [4]uint32
		if !relu || mi != 0 {
			out[at] = g[i]
		}
		d0[2*i], d0[2*i+1], d1[2*i], d1[2*i+1] = out[0], out[1], out[2], out[3]
	}
}

// TestRoute2x2MatchesNaive: every path against the naive loop for 0 to 50
// windows (blocks of 16 and every tail), on pixels drawn from a few values
// (ties everywhere; +0, -0 and NaNs among them) with maxima that are one of
// the window's pixels, or none of them, with and without the fused ReLU,
// from unaligned offsets, writing nothing past the windows.
func TestRoute2x2MatchesNaive(t *testing.T) {
	vals := []uint32{0, 0x80000000, math.Float32bits(1), math.Float32bits(-2), math.Float32bits(0.5), 0x7fc00000, 0xffc00001}
	const sentinel = 0xdeadbeef
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(17, 18))
		for n := 0; n <= 50; n++ {
			for _, relu := range []bool{false, true} {
				off := rng.IntN(3)
				s0, s1 := make([]uint32, off+2*n), make([]uint32, off+2*n)
				m, g := make([]uint32, off+n), make([]uint32, off+n)
				for i := range s0 {
					s0[i], s1[i] = vals[rng.IntN(len(vals))], vals[rng.IntN(len(vals))]
				}
				for i := off; i < off+n; i++ {
					w := i - off
					m[i] = []uint32{s0[off+2*w], s0[off+2*w+1], s1[off+2*w], s1[off+2*w+1], vals[rng.IntN(len(vals))]}[rng.IntN(5)]
					g[i] = rng.Uint32()
				}
				got0, got1 := make([]uint32, off+2*n+1), make([]uint32, off+2*n+1)
				want0, want1 := make([]uint32, 2*n), make([]uint32, 2*n)
				for i := range got0 {
					got0[i], got1[i] = sentinel, sentinel
				}
				Route2x2(s0[off:], s1[off:], m[off:], g[off:], got0[off:off+2*n], got1[off:off+2*n], relu)
				route2x2Naive(s0[off:], s1[off:], m[off:], g[off:], want0, want1, relu)
				// The uint64 instance (float64) selects the same pixels.
				w0, w1 := make([]uint64, 2*n), make([]uint64, 2*n)
				Route2x2(widen(s0[off:]), widen(s1[off:]), widen(m[off:]), widen(g[off:]), w0, w1, relu)
				for i := range w0 {
					if w0[i] != uint64(want0[i]) || w1[i] != uint64(want1[i]) {
						t.Fatalf("n=%d relu=%v: uint64 d0[%d], d1[%d] = %#x, %#x, want %#x, %#x", n, relu, i, i, w0[i], w1[i], want0[i], want1[i])
					}
				}
				for i := range got0 {
					inside := i >= off && i < off+2*n
					for r, got := range []uint32{got0[i], got1[i]} {
						want := uint32(sentinel)
						if inside {
							want = []uint32{want0[i-off], want1[i-off]}[r]
						}
						if got != want {
							t.Fatalf("n=%d relu=%v off=%d: d%d[%d] = %#x, want %#x", n, relu, off, r, i-off, got, want)
						}
					}
				}
			}
		}
	})
}

func widen(x []uint32) []uint64 {
	y := make([]uint64, len(x))
	for i, v := range x {
		y[i] = uint64(v)
	}
	return y
}

// TestMax2x2MatchesNaive: every path against Go's max, window by window,
// for 1 to 3 rows of 0 to 40 windows (blocks of 16 and every tail) at
// strides wider than the rows, on pixels drawn from a few values (ties,
// +0 and -0, infinities, subnormals; NaNs in some planes), with and without
// the fused ReLU, writing nothing outside the windows' outputs.
func TestMax2x2MatchesNaive(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -2, 0.5, -0.5, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(1), math.Float32frombits(0x80000001), math.MaxFloat32, -math.MaxFloat32}
	nan := math.Float32frombits(0x7fc00123)
	const sentinel = -12345
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(19, 20))
		for rows := 1; rows <= 3; rows++ {
			for n := 0; n <= 40; n++ {
				for _, relu := range []bool{false, true} {
					for _, withNaN := range []bool{false, true} {
						lds, ldd := 2*n+rng.IntN(3), n+rng.IntN(3)
						s := make([]float32, 2*rows*lds)
						for i := range s {
							s[i] = vals[rng.IntN(len(vals))]
						}
						if withNaN && n > 0 {
							s[rng.IntN(len(s))] = nan
						}
						got := make([]float32, rows*ldd+1)
						for i := range got {
							got[i] = sentinel
						}
						Max2x2(s, lds, got, ldd, rows, n, relu)
						for y := range rows {
							for i := range ldd {
								want := float32(sentinel)
								if i < n {
									r0, r1 := s[2*y*lds:], s[(2*y+1)*lds:]
									want = max(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
									if relu {
										want = max(want, 0)
									}
								}
								if g := got[y*ldd+i]; math.Float32bits(g) != math.Float32bits(want) {
									t.Fatalf("rows=%d n=%d relu=%v nan=%v: dst[%d][%d] = %v (%#x), want %v (%#x)",
										rows, n, relu, withNaN, y, i, g, math.Float32bits(g), want, math.Float32bits(want))
								}
							}
						}
						if got[rows*ldd] != sentinel {
							t.Fatalf("rows=%d n=%d: wrote past the last row", rows, n)
						}
						// The float64 instance (gradient checks) gives the same maxima.
						s64, got64 := make([]float64, len(s)), make([]float64, len(got))
						for i, v := range s {
							s64[i] = float64(v)
						}
						Max2x2(s64, lds, got64, ldd, rows, n, relu)
						for y := range rows {
							for i := range n {
								if g, w := got64[y*ldd+i], float64(got[y*ldd+i]); g != w && !(g != g && w != w) || math.Signbit(g) != math.Signbit(w) && g == 0 {
									t.Fatalf("rows=%d n=%d relu=%v: float64 dst[%d][%d] = %v, float32 %v", rows, n, relu, y, i, g, w)
								}
							}
						}
					}
				}
			}
		}
	})
}
