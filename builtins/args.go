package builtins

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"

	"go.starlark.net/starlark"
)

// This file holds argument unpacking shared by the builtins: one message
// form for every bad argument, and the typed unpackers for numbers.

// firstError returns the first non-nil error: checks of several arguments
// are listed together and the first that fails is reported.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// intAtLeast reports an error naming fn and param unless v >= min.
func intAtLeast(fn, param string, v, min int) error {
	if v < min {
		return fmt.Errorf("%s: for parameter %s: got %d, want >= %d", fn, param, v, min)
	}
	return nil
}

// unpackArgs is starlark.UnpackArgs with one message form: the library
// quotes a parameter named by keyword (`for parameter "reg"`) but not one
// given by position, and users should see `for parameter reg` either way.
func unpackArgs(fn string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	err := starlark.UnpackArgs(fn, args, kwargs, pairs...)
	if err == nil {
		return nil
	}
	return errors.New(quotedParam.ReplaceAllString(err.Error(), "$1 $2"))
}

var quotedParam = regexp.MustCompile(`(for parameter|unexpected keyword argument|multiple values for keyword argument) "([A-Za-z_0-9]+)"`)

// num unpacks a finite float parameter that also accepts an int (reg = 0),
// which starlark.UnpackArgs's *float64 does not.
type num float64

var _ starlark.Unpacker = (*num)(nil)

func (n *num) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Float:
		*n = num(v)
	case starlark.Int:
		f, _ := starlark.AsFloat(v) // an int too large for a float64 becomes ±Inf, rejected by range checks
		*n = num(f)
	default:
		return fmt.Errorf("got %s, want float", v.Type())
	}
	// No setting means anything at NaN or ±Inf, and such a value would
	// make a trial's spec impossible to write as JSON.
	if math.IsNaN(float64(*n)) || math.IsInf(float64(*n), 0) {
		return fmt.Errorf("got %s, want a finite float", v)
	}
	return nil
}

// fl lets a *float64 be unpacked as a num.
func fl(p *float64) *num { return (*num)(p) }

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
