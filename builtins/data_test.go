package builtins

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatasetEmbedded(t *testing.T) {
	f := newFixture(t)
	f.run(`
d = dataset("fashion-mnist")
assert.eq(d.classes, ("T-shirt/top", "Shirt"))
assert.eq(d.shape, (1, 28, 28))
assert.eq(d.num_train, 11000)
assert.eq(d.num_val, 1000)
assert.eq(d.num_test, 2000)
assert.eq(d.source, "embedded")
assert.eq(d.split_seed, -1)
assert.eq(len(d.fingerprint), 64)

same = dataset("fashion-mnist", classes = ["T-shirt/top", "Shirt"], validation = 1000)
assert.eq(same.fingerprint, d.fingerprint)
assert.true(same == d)  # cached: the same selection is one value
assert.true(dataset("Fashion_MNIST") == d)  # every spelling data.Load accepts is one data set
assert.eq(dataset("fashionmnist").name, "fashion-mnist")

swapped = dataset("fashion-mnist", classes = ["shirt", 0], validation = 500, split_seed = 3)
assert.eq(swapped.classes, ("Shirt", "T-shirt/top"))
assert.eq(swapped.num_val, 500)
assert.ne(swapped.fingerprint, d.fingerprint)
assert.eq(str(d), 'dataset("fashion-mnist", classes=("T-shirt/top", "Shirt"), validation=1000)')
assert.eq(str(swapped), 'dataset("fashion-mnist", classes=("Shirt", "T-shirt/top"), validation=500, split_seed=3)')

r = train(three_layer_convnet(), d, train_config())
assert.eq(r.data, d)
`)
	job := f.runner.jobs()[0]
	spec := job.Trial.Data
	if spec.Name != "fashion-mnist" || spec.Source != "embedded" || spec.Validation != 1000 || spec.SplitSeed != -1 ||
		len(spec.Classes) != 2 || spec.Fingerprint == "" || job.Data.Train.N != 11000 {
		t.Errorf("data spec %+v", spec)
	}
	if job.Trial.Model.Layers[len(job.Trial.Model.Layers)-1].Out != 0 {
		t.Errorf("last affine out %d, want 0 (the data's classes)", job.Trial.Model.Layers[len(job.Trial.Model.Layers)-1].Out)
	}
}

func TestDatasetErrors(t *testing.T) {
	f := newFixture(t)
	for src, want := range map[string]string{
		`dataset("fashion-mnist", classes = ["T-shirt", "Shirt"])`: `dataset: for parameter classes: data: unknown class "T-shirt"; the classes of`,
		`dataset("fashion-mnist", classes = ["Trouser", "Shirt"])`: `dataset: for parameter classes: training images: data: class 1 (Trouser) has no images`,
		`dataset("fashion-mnist", classes = ["Shirt"])`:            "dataset: for parameter classes: 1 class selected, want at least 2",
		`dataset("fashion-mnist", classes = [])`:                   "dataset: for parameter classes: empty list of classes",
		`dataset("fashion-mnist", validation = -1)`:                "dataset: for parameter validation: got -1, want >= 0",
		`dataset("fashion-mnist", validation = 20000)`:             "dataset: data: validation split of 20000 images",
		`dataset("imagenet")`:                                      `dataset: data: unknown data set "imagenet"; known data sets: fashion-mnist, mnist, cifar10`,
		`dataset("cifar10")`:                                       "dataset: data: cifar10 is not embedded",
		`dataset("cifar10", path = "/nonexistent/cifar")`:          "dataset: open /nonexistent/cifar/data_batch_1.bin: no such file",
		`dataset(name = 3)`:                                        "dataset: for parameter name: got int, want string",
		`dataset("fashion-mnist", clases = ["Shirt"])`:             "dataset: unexpected keyword argument clases (did you mean classes?)",
		// A string is not taken as a list of one-letter class names.
		`dataset("fashion-mnist", classes = "Shirt")`: "dataset: for parameter classes: got string, want a list of class names or ids",
	} {
		f.fails(src, want)
	}
}

// writeIDX writes an MNIST-style IDX pair for split ("train" or "t10k") of n
// 4x4 images with labels alternating 0 and 1.
func writeIDX(t *testing.T, dir, split string, n int) {
	t.Helper()
	writeIDXImages(t, dir, split, n, 4, func(i, p int) byte { return byte(i*16 + p) })
}

// writeIDXImages writes n size x size images, pixel p of image i being
// pixel(i, p), labelled alternately 0 and 1, as split's IDX files in dir.
func writeIDXImages(t *testing.T, dir, split string, n, size int, pixel func(i, p int) byte) {
	t.Helper()
	images := binary.BigEndian.AppendUint32(nil, 0x803)
	for _, d := range []uint32{uint32(n), uint32(size), uint32(size)} {
		images = binary.BigEndian.AppendUint32(images, d)
	}
	labels := binary.BigEndian.AppendUint32(nil, 0x801)
	labels = binary.BigEndian.AppendUint32(labels, uint32(n))
	for i := range n {
		for p := range size * size {
			images = append(images, pixel(i, p))
		}
		labels = append(labels, byte(i%2))
	}
	for name, b := range map[string][]byte{split + "-images-idx3-ubyte": images, split + "-labels-idx1-ubyte": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDatasetFolderReadOnce: a folder's files are read once per process,
// however many selections of it a run makes; later ones work even when the
// files are gone.
func TestDatasetFolderReadOnce(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, "train", 20)
	writeIDX(t, dir, "t10k", 6)
	f := newFixture(t)
	f.env.Params["dir"] = dir
	f.run(`
d = dataset("mnist", path = param("dir", ""), validation = 4)
assert.eq((d.num_train, d.num_val, d.num_test, d.shape), (16, 4, 6, (1, 4, 4)))
`)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	f = newFixture(t)
	f.env.Params["dir"] = dir
	f.run(`
d = dataset("mnist", path = param("dir", ""), validation = 5, split_seed = 1)
assert.eq((d.num_train, d.num_val), (15, 5))
`)
}

// TestDatasetLookAlike: MNIST and Fashion-MNIST folders hold files of the
// same names; a folder read as one whose images look like the other gets one
// warning, naming the folder and the data set it looks like.
func TestDatasetLookAlike(t *testing.T) {
	// Garment-like: a filled grey block covering most of the frame (mean
	// pixel 0.40); digit-like: a thin bright stroke (mean 0.08).
	garment := func(_, p int) byte {
		if x, y := p%28, p/28; x >= 3 && x < 25 && y >= 2 && y < 26 {
			return 150
		}
		return 0
	}
	digit := func(_, p int) byte {
		if x, y := p%28, p/28; y >= 4 && y < 24 && (x == 13 || x == 14 || x == 15) {
			return 255
		}
		return 0
	}
	fashion, digits := t.TempDir(), t.TempDir()
	for _, split := range []string{"train", "t10k"} {
		writeIDXImages(t, fashion, split, 6, 28, garment)
		writeIDXImages(t, digits, split, 6, 28, digit)
	}
	for _, c := range []struct{ name, dir, want string }{
		{"mnist", fashion, `warning: dataset("mnist", path = "` + fashion + `"): these images look like Fashion-MNIST, not MNIST (mean pixel 0.40; MNIST's is about 0.13, Fashion-MNIST's 0.29). If the folder holds Fashion-MNIST, use dataset("fashion-mnist", path = "` + fashion + `"), which names its classes.`},
		{"fashion-mnist", digits, `warning: dataset("fashion-mnist", path = "` + digits + `"): these images look like MNIST, not Fashion-MNIST (mean pixel 0.08;`},
		{"mnist", digits, ""},
		{"fashion-mnist", fashion, ""},
	} {
		f := newFixture(t)
		f.env.Params["dir"] = c.dir
		f.env.Params["name"] = c.name
		// Two selections of one folder: warned once.
		f.run(`
name, dir = param("name", ""), param("dir", "")
d = dataset(name, path = dir, validation = 2)
e = dataset(name, path = dir, validation = 3)
`)
		if f.out.Len() != 0 {
			t.Errorf("%s on %s: stdout %q, want nothing (warnings go to stderr)", c.name, c.dir, f.out)
		}
		got := f.errOut.String()
		if c.want == "" && got != "" {
			t.Errorf("%s on %s: output %q, want none", c.name, c.dir, got)
		}
		if c.want != "" && (!strings.Contains(got, c.want) || strings.Count(got, "warning:") != 1) {
			t.Errorf("%s on %s: output\n%s\nwant one warning containing\n%s", c.name, c.dir, got, c.want)
		}
	}
}
