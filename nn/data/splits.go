package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Splits are the three splits of one data selection and the preprocessing
// they share: pixels are scaled to [0, 1] and the training split's mean image
// is subtracted from every split.
type Splits struct {
	Train, Val, Test *Set
	Mean             []float32 // C*H*W, of Train after scaling
}

// scale maps a pixel to float32(p)/255, computed in float32 as NumPy does
// for x.astype(float32) / 255, so that Batch matches torch_ref.py.
var scale = func() (t [256]float32) {
	for p := range t {
		t[p] = float32(p) / 255
	}
	return t
}()

// NewSplits splits train into training and validation images and computes
// the training split's mean image once.
//
// With seed < 0 the last `validation` training images are the validation
// split and the rest the training split, both views without copying — the
// course's and ../shared/bench/torch_ref.py's way. With seed >= 0 a seeded
// random choice of `validation` images (a PCG stream, stable across Go
// releases) is the validation split; both splits keep the data's order.
// validation may be 0 (an empty validation split); it must be less than
// the number of training images. train and test must have the same image
// shape and classes.
func NewSplits(train, test *Set, validation int, seed int64) (*Splits, error) {
	if err := train.Check(); err != nil {
		return nil, err
	}
	if err := test.Check(); err != nil {
		return nil, err
	}
	if train.C != test.C || train.H != test.H || train.W != test.W {
		return nil, fmt.Errorf("data: training images are %dx%dx%d but test images %dx%dx%d",
			train.C, train.H, train.W, test.C, test.H, test.W)
	}
	if !slices.Equal(train.Classes, test.Classes) {
		return nil, fmt.Errorf("data: training classes %q differ from test classes %q", train.Classes, test.Classes)
	}
	if validation < 0 || validation >= train.N {
		return nil, fmt.Errorf("data: validation split of %d images, want 0 to %d (fewer than the %d training images)",
			validation, train.N-1, train.N)
	}
	sp := &Splits{Test: test}
	if seed < 0 {
		sp.Train, _ = train.Slice(0, train.N-validation)
		sp.Val, _ = train.Slice(train.N-validation, train.N)
	} else {
		isVal := make([]bool, train.N)
		for _, i := range permutation(train.N, uint64(seed))[:validation] {
			isVal[i] = true
		}
		var tr, va []int
		for i, v := range isVal {
			if v {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		sp.Train, sp.Val = train.Subset(tr), train.Subset(va)
	}
	sp.Mean = meanImage(sp.Train)
	return sp, nil
}

// permutation is a Fisher–Yates shuffle of 0..n-1 driven by PCG(seed), with
// an unbiased bounded draw written out here so that the split depends only
// on the seed, not on the Go release's choice of algorithms.
func permutation(n int, seed uint64) []int {
	r := rand.NewPCG(seed, 0x9e3779b97f4a7c15)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		limit := -bound % bound // 2^64 mod bound: values below it are rejected
		v := r.Uint64()
		for v < limit {
			v = r.Uint64()
		}
		j := int(v % bound)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// meanImage is the mean of s's images after scaling to [0, 1], accumulated
// in float64 and rounded once, so it is exact to float32 precision.
// torch_ref.py's NumPy mean sums in float32; on the embedded set the two
// differ by at most 4.3e-6 per pixel, far below anything training notices.
func meanImage(s *Set) []float32 {
	d := s.Dim()
	sum := make([]float64, d)
	for i := range s.N {
		img := s.Images[i*d : (i+1)*d]
		for j, p := range img {
			sum[j] += float64(scale[p])
		}
	}
	m := make([]float32, d)
	for j, v := range sum {
		m[j] = float32(v / float64(s.N))
	}
	return m
}

// Batch writes the preprocessed images idx of s into dst (len(idx)*C*H*W):
// float32(pixel)/255 - Mean. s is normally one of sp.Train, sp.Val, sp.Test.
// It only reads sp and s, so trials may call it concurrently. It panics with
// a "data:" message if dst has the wrong size or s the wrong image shape.
func (sp *Splits) Batch(s *Set, idx []int, dst []float32) {
	d := s.Dim()
	if d != len(sp.Mean) {
		panic(fmt.Sprintf("data: Batch: images of %dx%dx%d = %d values, mean image has %d", s.C, s.H, s.W, d, len(sp.Mean)))
	}
	if len(dst) != len(idx)*d {
		panic(fmt.Sprintf("data: Batch: dst has %d values, want %d images x %d = %d", len(dst), len(idx), d, len(idx)*d))
	}
	mean := sp.Mean[:d]
	for k, i := range idx {
		if i < 0 || i >= s.N {
			panic(fmt.Sprintf("data: Batch: image index %d out of range [0, %d)", i, s.N))
		}
		src := s.Images[i*d : (i+1)*d]
		out := dst[k*d : (k+1)*d]
		out = out[:len(src)]
		mean := mean[:len(src)]
		for j, p := range src {
			out[j] = scale[p] - mean[j]
		}
	}
}

// Labels writes the labels of images idx of s into dst (len(idx)).
func (sp *Splits) Labels(s *Set, idx []int, dst []int) {
	if len(dst) != len(idx) {
		panic(fmt.Sprintf("data: Labels: dst has %d values, want %d", len(dst), len(idx)))
	}
	for k, i := range idx {
		dst[k] = int(s.Labels[i])
	}
}

// Fingerprint digests the three splits' fingerprints: equal fingerprints
// mean the same training, validation and test images (the mean image
// follows from the training split).
func (sp *Splits) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte("pipe/nn/data.Splits v1\x00"))
	for _, s := range []*Set{sp.Train, sp.Val, sp.Test} {
		h.Write([]byte(s.Fingerprint()))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// View is one split of sp as nn's solver reads it (nn.Images): its images
// preprocessed by sp, with their labels. It only reads sp and the set.
type View struct {
	sp  *Splits
	set *Set
}

// View returns s, one of sp.Train, sp.Val and sp.Test, as a View.
func (sp *Splits) View(s *Set) View { return View{sp, s} }

// Len is the number of images.
func (v View) Len() int { return v.set.N }

// Shape is every image's (C, H, W).
func (v View) Shape() [3]int { return [3]int{v.set.C, v.set.H, v.set.W} }

// Classes is the number of classes.
func (v View) Classes() int { return len(v.set.Classes) }

// Batch writes the preprocessed images idx into dst and their labels into
// labels (see Splits.Batch and Splits.Labels).
func (v View) Batch(idx []int, dst []float32, labels []int) {
	v.sp.Batch(v.set, idx, dst)
	v.sp.Labels(v.set, idx, labels)
}
