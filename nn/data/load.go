package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Debian's package dataset-fashion-mnist installs the full Fashion-MNIST
// (70,000 images, ten classes) here as gzip IDX files.
const (
	DebianFashionMNISTDir     = "/usr/share/datasets/fashion-mnist"
	DebianFashionMNISTPackage = "dataset-fashion-mnist"
)

// DebianFashionMNIST returns Debian's Fashion-MNIST folder and whether it is
// installed (its training images file exists), so callers can load the full
// set, or say "install dataset-fashion-mnist" when it is missing.
func DebianFashionMNIST() (dir string, installed bool) {
	_, err := findIDX(DebianFashionMNISTDir, "train", "images", 3)
	return DebianFashionMNISTDir, err == nil
}

// Class names of the data sets Load knows, indexed by label.
var (
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	MNISTClasses   = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer",
		"dog", "frog", "horse", "ship", "truck"}
)

// Names lists the data set names Load accepts.
func Names() []string { return []string{"fashion-mnist", "mnist", "cifar10"} }

// Load reads a data set's training and test images.
//
//   - "fashion-mnist": with dir "" the embedded T-shirt/top and Shirt subset
//     (labels 0 and 6 of the ten Fashion-MNIST classes; decoded once per
//     process and shared); otherwise the IDX files in dir.
//   - "mnist": the IDX files in dir.
//   - "cifar10": data_batch_1.bin .. data_batch_5.bin and test_batch.bin in
//     dir (or in its cifar-10-batches-bin sub-folder), class names from
//     batches.meta.txt when present.
//
// IDX files may be named train-images-idx3-ubyte or train-images.idx3-ubyte,
// each raw or with .gz. The returned sets are shared and must not be
// modified.
func Load(name, dir string) (train, test *Set, err error) {
	switch strings.ToLower(name) {
	case "fashion-mnist", "fashion_mnist", "fashionmnist":
		if dir == "" {
			return Embedded()
		}
		return loadIDXDir("Fashion-MNIST", dir, FashionMNISTClasses)
	case "mnist":
		if dir == "" {
			return nil, nil, errors.New("data: mnist is not embedded: give the folder of its IDX files (train-images-idx3-ubyte.gz etc.)")
		}
		return loadIDXDir("MNIST", dir, MNISTClasses)
	case "cifar10", "cifar-10":
		if dir == "" {
			return nil, nil, errors.New("data: cifar10 is not embedded: give the folder of its binary batches (cifar-10-batches-bin, from cifar-10-binary.tar.gz)")
		}
		return loadCIFAR10(dir, CIFARBatchRecords)
	}
	return nil, nil, fmt.Errorf("data: unknown data set %q; known data sets: %s", name, strings.Join(Names(), ", "))
}

// findIDX finds the IDX file of a split ("train" or "t10k") and kind
// ("images" or "labels") in dir, under the usual names.
func findIDX(dir, split, kind string, nd int) (string, error) {
	var tried []string
	for _, base := range []string{
		fmt.Sprintf("%s-%s-idx%d-ubyte", split, kind, nd),
		fmt.Sprintf("%s-%s.idx%d-ubyte", split, kind, nd),
	} {
		for _, ext := range []string{".gz", ""} {
			p := filepath.Join(dir, base+ext)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p, nil
			}
			tried = append(tried, base+ext)
		}
	}
	return "", fmt.Errorf("data: %s: no %s %s file (looked for %s)", dir, split, kind, strings.Join(tried, ", "))
}

func loadIDXDir(title, dir string, classes []string) (train, test *Set, err error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("data: %s folder: %w", title, err)
	} else if !fi.IsDir() {
		return nil, nil, fmt.Errorf("data: %s folder %s is not a folder", title, dir)
	}
	read := func(split string) (*Set, error) {
		ip, err := findIDX(dir, split, "images", 3)
		if err != nil {
			return nil, err
		}
		lp, err := findIDX(dir, split, "labels", 1)
		if err != nil {
			return nil, err
		}
		images, labels, n, h, w, err := readIDXPair(ip, lp, len(classes))
		if err != nil {
			return nil, err
		}
		return &Set{Images: images, Labels: labels, N: n, C: 1, H: h, W: w, Classes: classes,
			Source: fmt.Sprintf("%s %s (%s)", title, splitName(split), dir)}, nil
	}
	if train, err = read("train"); err != nil {
		return nil, nil, err
	}
	if test, err = read("t10k"); err != nil {
		return nil, nil, err
	}
	if train.H != test.H || train.W != test.W {
		return nil, nil, fmt.Errorf("data: %s: training images are %dx%d, test images %dx%d", dir, train.H, train.W, test.H, test.W)
	}
	return train, test, nil
}

func splitName(split string) string {
	if split == "t10k" {
		return "test"
	}
	return split
}

// loadCIFAR10 reads the six batches of records images each (tests use
// small batches).
func loadCIFAR10(dir string, records int) (train, test *Set, err error) {
	if _, err := os.Stat(filepath.Join(dir, "data_batch_1.bin")); errors.Is(err, fs.ErrNotExist) {
		sub := filepath.Join(dir, "cifar-10-batches-bin")
		if _, err := os.Stat(filepath.Join(sub, "data_batch_1.bin")); err == nil {
			dir = sub
		} else if _, err := os.Stat(filepath.Join(dir, "data_batch_1")); err == nil {
			return nil, nil, fmt.Errorf("data: %s holds the Python (pickle) version of CIFAR-10; pipe reads the binary version (cifar-10-binary.tar.gz, data_batch_1.bin ...)", dir)
		}
	}
	classes := CIFAR10Classes
	if b, err := os.ReadFile(filepath.Join(dir, "batches.meta.txt")); err == nil {
		var names []string
		for _, line := range strings.Split(string(b), "\n") {
			if t := strings.TrimSpace(line); t != "" {
				names = append(names, t)
			}
		}
		if len(names) != 10 {
			return nil, nil, fmt.Errorf("data: %s: %d class names, want 10 (one a line)", filepath.Join(dir, "batches.meta.txt"), len(names))
		}
		classes = names
	}
	set := func(files []string, what string) (*Set, error) {
		n := len(files) * records
		s := &Set{Images: make([]uint8, 0, n*CIFARPixels), Labels: make([]uint8, 0, n), N: n,
			C: 3, H: 32, W: 32, Classes: classes, Source: fmt.Sprintf("CIFAR-10 %s (%s)", what, dir)}
		for _, f := range files {
			images, labels, err := readCIFARFile(filepath.Join(dir, f), records, len(classes))
			if err != nil {
				return nil, err
			}
			s.Images = append(s.Images, images...)
			s.Labels = append(s.Labels, labels...)
		}
		return s, nil
	}
	if train, err = set([]string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}, "train"); err != nil {
		return nil, nil, err
	}
	if test, err = set([]string{"test_batch.bin"}, "test"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadSplits is Load, class selection and NewSplits in one call: the data
// set name from dir, the classes by name or id in the given order (empty:
// every class that has training images, in id order — T-shirt/top and
// Shirt for the embedded subset), then validation images split off by seed
// (seed < 0: the last ones).
func LoadSplits(name, dir string, classes []string, validation int, seed int64) (*Splits, error) {
	train, test, err := Load(name, dir)
	if err != nil {
		return nil, err
	}
	var ids []int
	if len(classes) == 0 {
		for c, k := range train.Counts() {
			if k > 0 {
				ids = append(ids, c)
			}
		}
	} else if ids, err = train.ClassIDs(classes); err != nil {
		return nil, err
	}
	if train, err = train.Select(ids); err != nil {
		return nil, err
	}
	if test, err = test.Select(ids); err != nil {
		return nil, err
	}
	return NewSplits(train, test, validation, seed)
}

// Mean pixel values (0..1) of the training images of the two 28x28 grey IDX
// data sets, which share file names: MNIST's digits are thin strokes on
// black, Fashion-MNIST's garments fill most of the frame.
const (
	mnistMeanPixel        = 0.131
	fashionMNISTMeanPixel = 0.286
)

// LooksLike says which of "mnist" and "fashion-mnist" the images of s
// resemble, by their mean pixel (nearer to MNIST's 0.13 or Fashion-MNIST's
// 0.29), and returns that mean; name is "" unless s is 1x28x28. Callers warn
// when a folder loaded as one looks like the other.
func LooksLike(s *Set) (name string, mean float64) {
	if s == nil || s.C != 1 || s.H != 28 || s.W != 28 || len(s.Images) == 0 {
		return "", 0
	}
	sum := 0
	for _, p := range s.Images {
		sum += int(p)
	}
	mean = float64(sum) / float64(len(s.Images)) / 255
	if mean < (mnistMeanPixel+fashionMNISTMeanPixel)/2 {
		return "mnist", mean
	}
	return "fashion-mnist", mean
}
