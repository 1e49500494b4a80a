package data

import (
	"embed"
	"fmt"
	"sync"
)

//go:generate go run ./internal/mkembedded -src /usr/share/datasets/fashion-mnist -out embedded

// The embedded default data set: every training and test image of
// Fashion-MNIST's T-shirt/top (0) and Shirt (6) classes, 12,000 and 2,000
// images of 1x28x28, as gzip -9 IDX files with the original labels, built
// from Debian's dataset-fashion-mnist by internal/mkembedded.
//
//go:embed embedded/*.gz
var embeddedFiles embed.FS

// EmbeddedClasses are the class ids present in the embedded subset.
var EmbeddedClasses = []int{0, 6}

var embedded struct {
	once        sync.Once
	train, test *Set
	err         error
}

const embeddedHint = "for all ten classes install Debian's " + DebianFashionMNISTPackage +
	" (apt install " + DebianFashionMNISTPackage + "; pipe reads it from " + DebianFashionMNISTDir +
	") or give the folder of the Fashion-MNIST IDX files"

// Embedded returns the embedded Fashion-MNIST subset (also Load("fashion-mnist",
// "")). It is decoded once per process; the sets are shared, read-only, and
// carry all ten Fashion-MNIST class names with labels 0 and 6, so Select
// and ClassIDs work by name.
func Embedded() (train, test *Set, err error) {
	embedded.once.Do(func() {
		read := func(split string) (*Set, error) {
			ip := "embedded/" + split + "-images-idx3-ubyte.gz"
			lp := "embedded/" + split + "-labels-idx1-ubyte.gz"
			f, err := embeddedFiles.Open(ip)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			dims, images, err := readIDX(ip, f, IDXImagesMagic)
			if err != nil {
				return nil, err
			}
			g, err := embeddedFiles.Open(lp)
			if err != nil {
				return nil, err
			}
			defer g.Close()
			ldims, labels, err := readIDX(lp, g, IDXLabelsMagic)
			if err != nil {
				return nil, err
			}
			s := &Set{Images: images, Labels: labels, N: dims[0], C: 1, H: dims[1], W: dims[2],
				Classes: FashionMNISTClasses, Source: "the embedded Fashion-MNIST subset (" + splitName(split) + ")",
				absentHint: embeddedHint}
			if ldims[0] != s.N {
				return nil, fmt.Errorf("data: %s holds %d images, %s %d labels", ip, s.N, lp, ldims[0])
			}
			return s, s.Check()
		}
		if embedded.train, embedded.err = read("train"); embedded.err != nil {
			return
		}
		embedded.test, embedded.err = read("t10k")
	})
	if embedded.err != nil {
		return nil, nil, fmt.Errorf("data: embedded Fashion-MNIST subset is damaged (rebuild with go generate ./nn/data): %w", embedded.err)
	}
	return embedded.train, embedded.test, nil
}
