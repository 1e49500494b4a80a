// Portions copyright 2009 The Go Authors (math/exp.go, expm1.go, log1p.go,
// from FreeBSD's msun): BSD-style licence, see Go's LICENSE file.

package nn

import "math"

// exp, expm1 and log1p are Go's portable math.Exp, math.Expm1 and
// math.Log1p with every product rounded before it is added (f64 below), so
// that they give the same bits on every machine: the math package uses
// assembly for Exp on amd64 and arm64 (two different algorithms), and the
// compiler fuses a*b+c into one FMA on arm64 (and on amd64 with GOAMD64=v3)
// but not on plain amd64. The loss and its gradient are recorded to the
// last bit, so they must not depend on the machine.
//
// Only the code paths the softmax loss reaches are kept general; arguments
// are finite or ±Inf.

// f64 rounds x to float64: a product wrapped in it is never fused with the
// sum it feeds.
func f64(x float64) float64 { return float64(x) }

func exp(x float64) float64 {
	const (
		ln2Hi     = 6.93147180369123816490e-01
		ln2Lo     = 1.90821492927058770002e-10
		log2e     = 1.44269504088896338700e+00
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
		p1        = 1.66666666666666657415e-01
		p2        = -2.77777777770155933842e-03
		p3        = 6.61375632143793436117e-05
		p4        = -1.65339022054652515390e-06
		p5        = 4.13813679705723846039e-08
	)
	switch {
	case math.IsNaN(x):
		return x
	case x > overflow:
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(f64(log2e*x) - 0.5)
	case x > 0:
		k = int(f64(log2e*x) + 0.5)
	}
	hi := x - f64(float64(k)*ln2Hi)
	lo := f64(float64(k) * ln2Lo)
	r := hi - lo
	t := f64(r * r)
	c := r - f64(t*(p1+f64(t*(p2+f64(t*(p3+f64(t*(p4+f64(t*p5)))))))))
	y := 1 - ((lo - f64(r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}

func expm1(x float64) float64 {
	const (
		othreshold = 7.09782712893383973096e+02
		ln2X56     = 3.88162421113569373274e+01
		ln2HalfX3  = 1.03972077083991796413e+00
		ln2Half    = 3.46573590279972654709e-01
		ln2Hi      = 6.93147180369123816490e-01
		ln2Lo      = 1.90821492927058770002e-10
		invLn2     = 1.44269504088896338700e+00
		tiny       = 1.0 / (1 << 54)
		q1         = -3.33333333333331316428e-02
		q2         = 1.58730158725481460165e-03
		q3         = -7.93650757867487942473e-05
		q4         = 4.00821782732936239552e-06
		q5         = -2.01099218183624371326e-07
	)
	switch {
	case math.IsInf(x, 1) || math.IsNaN(x):
		return x
	case math.IsInf(x, -1):
		return -1
	}
	absx := x
	sign := false
	if x < 0 {
		absx = -absx
		sign = true
	}
	if absx >= ln2X56 {
		if sign {
			return -1
		}
		if absx >= othreshold {
			return math.Inf(1)
		}
	}
	var c float64
	var k int
	if absx > ln2Half {
		var hi, lo float64
		if absx < ln2HalfX3 {
			if !sign {
				hi = x - ln2Hi
				lo = ln2Lo
				k = 1
			} else {
				hi = x + ln2Hi
				lo = -ln2Lo
				k = -1
			}
		} else {
			if !sign {
				k = int(f64(invLn2*x) + 0.5)
			} else {
				k = int(f64(invLn2*x) - 0.5)
			}
			t := float64(k)
			hi = x - f64(t*ln2Hi)
			lo = f64(t * ln2Lo)
		}
		x = hi - lo
		c = (hi - x) - lo
	} else if absx < tiny {
		return x
	} else {
		k = 0
	}
	hfx := f64(0.5 * x)
	hxs := f64(x * hfx)
	r1 := 1 + f64(hxs*(q1+f64(hxs*(q2+f64(hxs*(q3+f64(hxs*(q4+f64(hxs*q5)))))))))
	t := 3 - f64(r1*hfx)
	e := f64(hxs * ((r1 - t) / (6.0 - f64(x*t))))
	if k == 0 {
		return x - (f64(x*e) - hxs)
	}
	e = (f64(x*(e-c)) - c)
	e -= hxs
	switch {
	case k == -1:
		return f64(0.5*(x-e)) - 0.5
	case k == 1:
		if x < -0.25 {
			return -2 * (e - (x + 0.5))
		}
		return 1 + f64(2*(x-e))
	case k <= -2 || k > 56:
		y := 1 - (e - x)
		y = math.Float64frombits(math.Float64bits(y) + uint64(k)<<52)
		return y - 1
	}
	if k < 20 {
		t := math.Float64frombits(0x3ff0000000000000 - (0x20000000000000 >> uint(k)))
		y := t - (e - x)
		return math.Float64frombits(math.Float64bits(y) + uint64(k)<<52)
	}
	t = math.Float64frombits(uint64(0x3ff-k) << 52)
	y := x - (e + t)
	y++
	return math.Float64frombits(math.Float64bits(y) + uint64(k)<<52)
}

func log1p(x float64) float64 {
	const (
		sqrt2M1     = 4.142135623730950488017e-01
		sqrt2HalfM1 = -2.928932188134524755992e-01
		small       = 1.0 / (1 << 29)
		tiny        = 1.0 / (1 << 54)
		two53       = 1 << 53
		ln2Hi       = 6.93147180369123816490e-01
		ln2Lo       = 1.90821492927058770002e-10
		lp1         = 6.666666666666735130e-01
		lp2         = 3.999999999940941908e-01
		lp3         = 2.857142874366239149e-01
		lp4         = 2.222219843214978396e-01
		lp5         = 1.818357216161805012e-01
		lp6         = 1.531383769920937332e-01
		lp7         = 1.479819860511658591e-01
	)
	switch {
	case x < -1 || math.IsNaN(x):
		return math.NaN()
	case x == -1:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return math.Inf(1)
	}
	absx := math.Abs(x)
	var f float64
	var iu uint64
	k := 1
	if absx < sqrt2M1 {
		if absx < small {
			if absx < tiny {
				return x
			}
			return x - f64(f64(x*x)*0.5)
		}
		if x > sqrt2HalfM1 {
			k = 0
			f = x
			iu = 1
		}
	}
	var c float64
	if k != 0 {
		var u float64
		if absx < two53 {
			u = 1.0 + x
			iu = math.Float64bits(u)
			k = int((iu >> 52) - 1023)
			if k > 0 {
				c = 1.0 - (u - x)
			} else {
				c = x - (u - 1.0)
			}
			c /= u
		} else {
			u = x
			iu = math.Float64bits(u)
			k = int((iu >> 52) - 1023)
			c = 0
		}
		iu &= 0x000fffffffffffff
		if iu < 0x0006a09e667f3bcd {
			u = math.Float64frombits(iu | 0x3ff0000000000000)
		} else {
			k++
			u = math.Float64frombits(iu | 0x3fe0000000000000)
			iu = (0x0010000000000000 - iu) >> 2
		}
		f = u - 1.0
	}
	hfsq := f64(f64(0.5*f) * f)
	var s, R, z float64
	if iu == 0 {
		if f == 0 {
			if k == 0 {
				return 0
			}
			c += f64(float64(k) * ln2Lo)
			return f64(float64(k)*ln2Hi) + c
		}
		R = f64(hfsq * (1.0 - f64(0.66666666666666666*f)))
		if k == 0 {
			return f - R
		}
		return f64(float64(k)*ln2Hi) - ((R - (f64(float64(k)*ln2Lo) + c)) - f)
	}
	s = f / (2.0 + f)
	z = f64(s * s)
	R = f64(z * (lp1 + f64(z*(lp2+f64(z*(lp3+f64(z*(lp4+f64(z*(lp5+f64(z*(lp6+f64(z*lp7)))))))))))))
	if k == 0 {
		return f - (hfsq - f64(s*(hfsq+R)))
	}
	return f64(float64(k)*ln2Hi) - ((hfsq - (f64(s*(hfsq+R)) + (f64(float64(k)*ln2Lo) + c))) - f)
}

// powInt returns x^n for n ≥ 0 by repeated squaring: a fixed sequence of
// correctly rounded products, the same on every machine (math.Pow's
// result is not specified to the last bit).
func powInt(x float64, n int) float64 {
	r := 1.0
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
	}
	return r
}
