package builtins

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/pipe-ml/pipe/nn/data"
	"github.com/pipe-ml/pipe/results"
)

// dataBuiltins load data sets:
//
//	dataset(name, classes=None, validation=1000, path="", split_seed=-1)
//	    Loads a data set and splits it into training, validation and test
//	    images; pixels are scaled to [0, 1] and the training mean image is
//	    subtracted. name is "fashion-mnist" (with path "" the embedded
//	    T-shirt/top and Shirt images), "mnist" or "cifar10" (path: the folder
//	    of its files). classes lists class names or ids to keep, relabelled in
//	    that order; None keeps every class that has images. validation
//	    training images are held out: the last ones with split_seed < 0, a
//	    seeded random choice otherwise. MNIST and Fashion-MNIST files have
//	    the same names; a folder read as one whose images look like the
//	    other (by their mean pixel) gets a warning.
//
// The result is a data value with attributes name, source, classes, shape
// (C, H, W), num_train, num_val, num_test, validation, split_seed and
// fingerprint. Files are read once per run.
var dataBuiltins = starlark.StringDict{
	"dataset": starlark.NewBuiltin("dataset", dataset),
}

// Data is a data selection: its splits, shared read-only by every trial that
// trains on it, and the spec that identifies it in trial keys.
type Data struct {
	valueType
	spec   results.DataSpec
	splits *data.Splits
}

var (
	_ starlark.HasAttrs = (*Data)(nil)
	_ starlark.Unpacker = (*dataArg)(nil)
)

// String is the dataset call that selects d, in Starlark syntax like the
// other values' forms.
func (d *Data) String() string {
	classes, _ := d.Attr("classes")
	s := fmt.Sprintf("dataset(%q, classes=%s, validation=%d", d.spec.Name, classes, d.spec.Validation)
	if d.spec.Source != "embedded" {
		s += fmt.Sprintf(", path=%q", d.spec.Source)
	}
	if d.spec.SplitSeed >= 0 {
		s += fmt.Sprintf(", split_seed=%d", d.spec.SplitSeed)
	}
	return s + ")"
}

// CompareSameType makes two data values equal when they select the same
// images the same way (equal specs, fingerprint included).
func (d *Data) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	a, b := d.spec, y.(*Data).spec
	e := a.Name == b.Name && a.Source == b.Source && slices.Equal(a.Classes, b.Classes) &&
		a.Validation == b.Validation && a.SplitSeed == b.SplitSeed && a.Fingerprint == b.Fingerprint
	switch op {
	case syntax.EQL:
		return e, nil
	case syntax.NEQ:
		return !e, nil
	}
	return false, fmt.Errorf("data %s data not supported", op)
}

var dataAttrs = []string{"classes", "fingerprint", "name", "num_test", "num_train", "num_val", "shape", "source", "split_seed", "validation"}

func (d *Data) AttrNames() []string { return dataAttrs }

func (d *Data) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(d.spec.Name), nil
	case "source":
		return starlark.String(d.spec.Source), nil
	case "classes":
		t := make(starlark.Tuple, len(d.spec.Classes))
		for i, c := range d.spec.Classes {
			t[i] = starlark.String(c)
		}
		return t, nil
	case "shape":
		c, h, w := d.shape()
		return starlark.Tuple{starlark.MakeInt(c), starlark.MakeInt(h), starlark.MakeInt(w)}, nil
	case "num_train":
		return starlark.MakeInt(d.splits.Train.N), nil
	case "num_val":
		return starlark.MakeInt(d.splits.Val.N), nil
	case "num_test":
		return starlark.MakeInt(d.splits.Test.N), nil
	case "validation":
		return starlark.MakeInt(d.spec.Validation), nil
	case "split_seed":
		return starlark.MakeInt64(d.spec.SplitSeed), nil
	case "fingerprint":
		return starlark.String(d.spec.Fingerprint), nil
	}
	return nil, nil
}

func (d *Data) shape() (c, h, w int) {
	t := d.splits.Train
	return t.C, t.H, t.W
}

// in is the image shape as nn wants it.
func (d *Data) in() [3]int {
	c, h, w := d.shape()
	return [3]int{c, h, w}
}

func (d *Data) classes() int { return len(d.spec.Classes) }

// dataArg unpacks a data argument.
type dataArg struct{ d *Data }

func (a *dataArg) Unpack(v starlark.Value) error {
	d, ok := v.(*Data)
	if !ok {
		return fmt.Errorf("got %s, want data (from dataset)", v.Type())
	}
	a.d = d
	return nil
}

// classesArg unpacks a list of class names or ids as strings; None leaves
// it nil.
type classesArg struct{ names []string }

func (a *classesArg) Unpack(v starlark.Value) error {
	if v == starlark.None {
		return nil
	}
	it, ok := v.(starlark.Iterable)
	if !ok {
		return fmt.Errorf("got %s, want a list of class names or ids", v.Type())
	}
	a.names = []string{}
	for e := range starlark.Elements(it) {
		switch e := e.(type) {
		case starlark.String:
			a.names = append(a.names, string(e))
		case starlark.Int:
			a.names = append(a.names, e.String())
		default:
			return fmt.Errorf("element %d is %s, want a class name (string) or id (int)", len(a.names), e.Type())
		}
	}
	if len(a.names) == 0 {
		return fmt.Errorf("empty list of classes")
	}
	return nil
}

// DataCache holds what dataset has read: files by (name, folder), and
// finished selections by every argument, so a data set loaded by several
// pipelines, or twice by one, is read, selected and fingerprinted once. It
// lives in the Env (Env.Data); runs that share one share their data, and
// it is safe for concurrent use.
type DataCache struct {
	mu     sync.Mutex
	files  map[[2]string]*loadedFiles
	splits map[string]*Data
}

type loadedFiles struct {
	once        sync.Once
	train, test *data.Set
	err         error
	warned      bool // the folder's look-alike warning was shown
}

// lookAlikeWarning returns, once per folder and cache, a warning when the
// images read as name (mnist or fashion-mnist, which share file names) look
// like the other data set; "" otherwise.
func (c *DataCache) lookAlikeWarning(name, dir, path string, train *data.Set) string {
	if name != "mnist" && name != "fashion-mnist" || dir == "" {
		return ""
	}
	like, mean := data.LooksLike(train)
	if like == "" || like == name {
		return ""
	}
	c.mu.Lock()
	f := c.files[[2]string{name, dir}]
	shown := f == nil || f.warned
	if f != nil {
		f.warned = true
	}
	c.mu.Unlock()
	if shown {
		return ""
	}
	title := map[string]string{"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
	return fmt.Sprintf("warning: dataset(%q, path = %q): these images look like %s, not %s "+
		"(mean pixel %.2f; MNIST's is about 0.13, Fashion-MNIST's 0.29). "+
		"If the folder holds %s, use dataset(%q, path = %q), which names its classes.",
		name, path, title[like], title[name], mean, title[like], like, path)
}

func (c *DataCache) loadFiles(name, dir string) (train, test *data.Set, err error) {
	c.mu.Lock()
	if c.files == nil {
		c.files = map[[2]string]*loadedFiles{}
	}
	k := [2]string{name, dir}
	f := c.files[k]
	if f == nil {
		f = &loadedFiles{}
		c.files[k] = f
	}
	c.mu.Unlock()
	f.once.Do(func() {
		f.err = recovered("data", func() error {
			var err error
			f.train, f.test, err = data.Load(name, dir)
			return err
		})
	})
	return f.train, f.test, f.err
}

// canonicalName returns the name data.Names lists for one of the spellings
// data.Load accepts ("fashion_mnist", "CIFAR-10"), so that every spelling
// gives the same trial keys and shares the per-process cache. An unknown
// name is returned as given, for data.Load to reject.
func canonicalName(name string) string {
	norm := func(s string) string { return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s)) }
	for _, n := range data.Names() {
		if norm(n) == norm(name) {
			return n
		}
	}
	return name
}

func dataset(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, path string
	var cls classesArg
	validation, splitSeed := 1000, -1
	if err := unpackArgs(b.Name(), args, kwargs, "name", &name,
		"classes?", &cls, "validation?", &validation, "path?", &path, "split_seed?", &splitSeed); err != nil {
		return nil, err
	}
	if err := intAtLeast(b.Name(), "validation", validation, 0); err != nil {
		return nil, err
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	cache := env.dataCache()
	if splitSeed < 0 {
		splitSeed = -1
	}
	// The folder as given goes into the spec (and so the trial keys): the
	// content fingerprint identifies the images, and a relative path keeps
	// keys equal for shards that mount the data in different places. The
	// absolute path keys the per-process caches.
	source, abs := "embedded", ""
	if path != "" {
		source = filepath.Clean(path)
		var err error
		if abs, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("%s: for parameter path: %v", b.Name(), err)
		}
	}
	name = canonicalName(name)
	key := fmt.Sprintf("%s\x00%s\x00%q\x00%d\x00%d", name, abs, cls.names, validation, splitSeed)
	cache.mu.Lock()
	d := cache.splits[key]
	cache.mu.Unlock()
	if d != nil {
		return d, nil
	}

	train, test, err := cache.loadFiles(name, abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	if w := cache.lookAlikeWarning(name, abs, path, train); w != "" {
		if env := EnvOf(thread); env != nil {
			fmt.Fprintln(env.stderr(), w)
		}
	}
	var ids []int
	if cls.names == nil {
		for c, n := range train.Counts() {
			if n > 0 {
				ids = append(ids, c)
			}
		}
	} else if ids, err = train.ClassIDs(cls.names); err != nil {
		return nil, fmt.Errorf("%s: for parameter classes: %v", b.Name(), err)
	}
	if len(ids) < 2 {
		return nil, fmt.Errorf("%s: for parameter classes: %d class selected, want at least 2", b.Name(), len(ids))
	}
	if train, err = train.Select(ids); err != nil {
		return nil, fmt.Errorf("%s: for parameter classes: training images: %v", b.Name(), err)
	}
	if test, err = test.Select(ids); err != nil {
		return nil, fmt.Errorf("%s: for parameter classes: test images: %v", b.Name(), err)
	}
	splits, err := data.NewSplits(train, test, validation, int64(splitSeed))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	d = &Data{valueType: "data",
		spec: results.DataSpec{
			Name:        name,
			Source:      source,
			Classes:     slices.Clone(train.Classes),
			Validation:  validation,
			SplitSeed:   int64(splitSeed),
			Fingerprint: splits.Fingerprint(),
		},
		splits: splits,
	}
	cache.mu.Lock()
	if cache.splits == nil {
		cache.splits = map[string]*Data{}
	}
	cache.splits[key] = d
	cache.mu.Unlock()
	return d, nil
}

// NewData wraps hand-built splits as a data value, for tests and for
// callers that build data sets themselves.
func NewData(spec results.DataSpec, splits *data.Splits) *Data {
	if spec.Classes == nil {
		spec.Classes = slices.Clone(splits.Train.Classes)
	}
	return &Data{valueType: "data", spec: spec, splits: splits}
}
