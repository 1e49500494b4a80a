// Command mkembedded rebuilds pipe's embedded default data set from the full
// Fashion-MNIST: every training and test image of the classes T-shirt/top
// (0) and Shirt (6), original labels kept, written as gzip -9 IDX files that
// package data embeds.
//
//	go generate ./nn/data
//	go run ./nn/data/internal/mkembedded -src /usr/share/datasets/fashion-mnist -out nn/data/embedded
//
// The source is Debian's dataset-fashion-mnist (MIT licence, Zalando Research).
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pipe-ml/pipe/nn/data"
)

func main() {
	src := flag.String("src", data.DebianFashionMNISTDir, "folder of the full Fashion-MNIST IDX files")
	out := flag.String("out", "nn/data/embedded", "folder to write the embedded files to")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkembedded:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	train, test, err := data.Load("fashion-mnist", src)
	if err != nil {
		return fmt.Errorf("%w (install Debian's %s)", err, data.DebianFashionMNISTPackage)
	}
	for _, x := range []struct {
		split string
		set   *data.Set
	}{{"train", train}, {"t10k", test}} {
		var keep []int
		for i, l := range x.set.Labels {
			if slices.Contains(data.EmbeddedClasses, int(l)) {
				keep = append(keep, i)
			}
		}
		sub := x.set.Subset(keep)
		if err := write(filepath.Join(out, x.split+"-images-idx3-ubyte.gz"), []int{sub.N, sub.H, sub.W}, sub.Images); err != nil {
			return err
		}
		if err := write(filepath.Join(out, x.split+"-labels-idx1-ubyte.gz"), []int{sub.N}, sub.Labels); err != nil {
			return err
		}
		fmt.Printf("%s: %d images of classes %v\n", x.split, sub.N, data.EmbeddedClasses)
	}
	return nil
}

// write writes an IDX file gzip-compressed at the best level, atomically.
// The gzip header carries no name or time, so the output depends only on
// the data (and the Go release's compressor).
func write(path string, dims []int, payload []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mkembedded-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw, err := gzip.NewWriterLevel(tmp, gzip.BestCompression)
	if err != nil {
		return err
	}
	if err := data.WriteIDX(zw, dims, payload); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
