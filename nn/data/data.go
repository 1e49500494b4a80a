// Package data holds image classification data sets as compact uint8 arrays,
// their readers (IDX for MNIST/Fashion-MNIST, CIFAR-10 binary batches), class
// selection, train/validation splits and mean-image preprocessing, and the
// embedded Fashion-MNIST subset that pipe runs on by default.
//
// Sets and Splits are immutable once built: every method only reads them, so
// one copy is shared by all concurrently training trials. Views (Slice, the
// tail validation split, Select of every class in order) share pixel memory
// with the set they come from.
package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Set is a labelled image set. Pixels are kept as uint8 (N*C*H*W, NCHW order)
// so that one copy can be shared read-only by every trial.
type Set struct {
	Images  []uint8
	Labels  []uint8 // 0..len(Classes)-1
	N       int
	C, H, W int
	Classes []string // class names, indexed by label

	// Source says where the images come from ("embedded Fashion-MNIST
	// subset", a folder), for messages and reports.
	Source string

	// absentHint is added to the error of Select when a class has no
	// images, e.g. how to get the full data set.
	absentHint string

	fpOnce sync.Once
	fp     string
}

// Dim is the number of values of one image, C*H*W.
func (s *Set) Dim() int { return s.C * s.H * s.W }

// Image returns the pixels of image i (a sub-slice, not a copy).
func (s *Set) Image(i int) []uint8 {
	d := s.Dim()
	return s.Images[i*d : (i+1)*d : (i+1)*d]
}

// Counts returns the number of images of each class, indexed by label.
func (s *Set) Counts() []int {
	c := make([]int, len(s.Classes))
	for _, l := range s.Labels {
		if int(l) < len(c) {
			c[l]++
		}
	}
	return c
}

// Check reports whether the fields of s are consistent: sizes match N and
// C*H*W, and every label names a class. Sets built by this package always
// pass; it is for sets built by hand.
func (s *Set) Check() error {
	switch {
	case s.N < 0 || s.C <= 0 || s.H <= 0 || s.W <= 0:
		return fmt.Errorf("data: set %s has N=%d and images %dx%dx%d", s.describe(), s.N, s.C, s.H, s.W)
	case len(s.Images) != s.N*s.Dim():
		return fmt.Errorf("data: set %s has %d pixel bytes, want N*C*H*W = %d", s.describe(), len(s.Images), s.N*s.Dim())
	case len(s.Labels) != s.N:
		return fmt.Errorf("data: set %s has %d labels for %d images", s.describe(), len(s.Labels), s.N)
	}
	for i, l := range s.Labels {
		if int(l) >= len(s.Classes) {
			return fmt.Errorf("data: set %s: image %d has label %d but there are %d classes", s.describe(), i, l, len(s.Classes))
		}
	}
	return nil
}

func (s *Set) describe() string {
	if s.Source != "" {
		return s.Source
	}
	return fmt.Sprintf("of %d images", s.N)
}

// Slice returns images i..j-1 as a view sharing s's memory (the first 100
// training images of the overfitting check, for instance).
func (s *Set) Slice(i, j int) (*Set, error) {
	if i < 0 || j < i || j > s.N {
		return nil, fmt.Errorf("data: slice [%d:%d] of a set of %d images", i, j, s.N)
	}
	d := s.Dim()
	v := s.like(j - i)
	v.Images = s.Images[i*d : j*d : j*d]
	v.Labels = s.Labels[i:j:j]
	return v, nil
}

// Subset returns a copy of the images idx of s, in that order, with their
// labels and classes unchanged. It panics if an index is out of range.
func (s *Set) Subset(idx []int) *Set {
	d := s.Dim()
	v := s.like(len(idx))
	v.Images = make([]uint8, len(idx)*d)
	v.Labels = make([]uint8, len(idx))
	for k, i := range idx {
		copy(v.Images[k*d:(k+1)*d], s.Images[i*d:(i+1)*d])
		v.Labels[k] = s.Labels[i]
	}
	return v
}

// like returns an empty set of n images with s's shape, classes and source.
func (s *Set) like(n int) *Set {
	return &Set{N: n, C: s.C, H: s.H, W: s.W, Classes: s.Classes, Source: s.Source, absentHint: s.absentHint}
}

// Select keeps the images of the given classes and relabels them 0..k-1 in
// the given order (Select([]int{6, 0}) makes Shirt 0 and T-shirt/top 1);
// the result's Classes are the selected names in that order. It is an error
// to name a class out of range, twice, or one that has no images in s.
// Selecting every class in its own order returns a view without copying;
// a selection that keeps every image shares the images and relabels.
func (s *Set) Select(classes []int) (*Set, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("data: no classes selected from %s", s.describe())
	}
	newLabel := make([]int, len(s.Classes))
	for i := range newLabel {
		newLabel[i] = -1
	}
	identity := len(classes) == len(s.Classes)
	for i, c := range classes {
		if c < 0 || c >= len(s.Classes) {
			return nil, fmt.Errorf("data: class id %d out of range: %s has %d classes (0..%d): %s",
				c, s.describe(), len(s.Classes), len(s.Classes)-1, s.classList())
		}
		if newLabel[c] >= 0 {
			return nil, fmt.Errorf("data: class %d (%s) selected twice", c, s.Classes[c])
		}
		newLabel[c] = i
		identity = identity && c == i
	}
	counts := s.Counts()
	for _, c := range classes {
		if counts[c] == 0 {
			return nil, fmt.Errorf("data: class %d (%s) has no images in %s%s", c, s.Classes[c], s.describe(), s.presentHint(counts))
		}
	}
	if identity {
		v, _ := s.Slice(0, s.N)
		return v, nil
	}
	n := 0
	for _, c := range classes {
		n += counts[c]
	}
	d := s.Dim()
	v := s.like(n)
	v.Classes = make([]string, len(classes))
	for i, c := range classes {
		v.Classes[i] = s.Classes[c]
	}
	v.Labels = make([]uint8, 0, n)
	if n == s.N {
		// Every image is kept (the embedded pair, selected by name): share
		// the images, which no set ever writes, and relabel only.
		v.Images = s.Images[: n*d : n*d]
	} else {
		v.Images = make([]uint8, 0, n*d)
	}
	for i, l := range s.Labels {
		if nl := newLabel[l]; nl >= 0 {
			if n != s.N {
				v.Images = append(v.Images, s.Images[i*d:(i+1)*d]...)
			}
			v.Labels = append(v.Labels, uint8(nl))
		}
	}
	// A selection is no longer the full original set: an absent-class hint
	// about the original (e.g. the embedded subset) would mislead.
	v.absentHint = ""
	return v, nil
}

// presentHint lists the classes that do have images, and s's own hint.
func (s *Set) presentHint(counts []int) string {
	var present []string
	for c, k := range counts {
		if k > 0 {
			present = append(present, s.Classes[c])
		}
	}
	h := "; it holds only " + strings.Join(present, ", ")
	if s.absentHint != "" {
		h += "; " + s.absentHint
	}
	return h
}

// classList is "0 T-shirt/top, 1 Trouser, ...".
func (s *Set) classList() string {
	var b strings.Builder
	for i, c := range s.Classes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s", i, c)
	}
	return b.String()
}

// ClassIDs maps class names (case-insensitive, surrounding spaces ignored)
// or decimal ids to class ids, for Select. A name wins over a number when a
// class is named by digits (MNIST's "3" is class 3 either way).
func (s *Set) ClassIDs(names []string) ([]int, error) {
	ids := make([]int, len(names))
	for i, name := range names {
		id, ok := s.classID(name)
		if !ok {
			return nil, fmt.Errorf("data: unknown class %q; the classes of %s are: %s", name, s.describe(), s.classList())
		}
		ids[i] = id
	}
	return ids, nil
}

func (s *Set) classID(name string) (int, bool) {
	t := strings.TrimSpace(name)
	for i, c := range s.Classes {
		if strings.EqualFold(t, c) {
			return i, true
		}
	}
	if id, err := strconv.Atoi(t); err == nil && id >= 0 && id < len(s.Classes) && t == strconv.Itoa(id) {
		return id, true
	}
	return 0, false
}

// Fingerprint is a content digest of the set — SHA-256 of its shape, class
// names, pixels and labels, in hex — for cache keys: two sets with the same
// fingerprint train identically. It is computed once per Set (the set must
// not be modified afterwards) and is safe to call from many goroutines.
func (s *Set) Fingerprint() string {
	s.fpOnce.Do(func() {
		h := sha256.New()
		var b [8]byte
		put := func(v int) {
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			h.Write(b[:])
		}
		h.Write([]byte("pipe/nn/data.Set v1\x00"))
		for _, v := range []int{s.N, s.C, s.H, s.W, len(s.Classes)} {
			put(v)
		}
		for _, c := range s.Classes {
			put(len(c))
			h.Write([]byte(c))
		}
		put(len(s.Images))
		h.Write(s.Images)
		put(len(s.Labels))
		h.Write(s.Labels)
		s.fp = hex.EncodeToString(h.Sum(nil))
	})
	return s.fp
}
