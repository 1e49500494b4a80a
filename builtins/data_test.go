package builtins

import "testing"

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
		`dataset("cifar10", path = "/nonexistent/cifar")`:          "dataset: ",
		`dataset(name = 3)`:                                        "dataset: for parameter name: got int, want string",
		`dataset("fashion-mnist", clases = ["Shirt"])`:             "dataset: unexpected keyword argument clases (did you mean classes?)",
		// A string is not taken as a list of one-letter class names.
		`dataset("fashion-mnist", classes = "Shirt")`: "dataset: for parameter classes: got string, want a list of class names or ids",
	} {
		f.fails(src, want)
	}
}
