package builtins

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"

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
	msg := quotedParam.ReplaceAllString(err.Error(), "$1 $2")
	if strings.Contains(msg, "unexpected keyword argument") && !strings.Contains(msg, "did you mean") {
		// Nothing close to suggest: say what the builtin does take.
		var names []string
		for i := 0; i < len(pairs); i += 2 {
			if name, ok := pairs[i].(string); ok {
				names = append(names, strings.TrimRight(name, "?"))
			}
		}
		if len(names) > 0 {
			msg += " (arguments of " + fn + ": " + strings.Join(names, ", ") + ")"
		}
	}
	return errors.New(msg)
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

// text unpacks a string that pipe prints and writes into files: a label or
// a title. Control characters are refused: an escape sequence in a label
// would repaint the user's terminal and end up raw in report.md and the
// table files, a carriage return would hide what came before it. prose is
// the same for Markdown paragraphs (report intros), which may also hold
// newlines and tabs.
type (
	text  string
	prose string
)

var (
	_ starlark.Unpacker = (*text)(nil)
	_ starlark.Unpacker = (*prose)(nil)
)

func (t *text) Unpack(v starlark.Value) error {
	s, err := unpackText(v, "")
	*t = text(s)
	return err
}

func (p *prose) Unpack(v starlark.Value) error {
	s, err := unpackText(v, "\n\t")
	*p = prose(s)
	return err
}

// unpackText returns v's string unless it holds a control character other
// than those in allowed.
func unpackText(v starlark.Value, allowed string) (string, error) {
	s, ok := starlark.AsString(v)
	if !ok {
		return "", fmt.Errorf("got %s, want string", v.Type())
	}
	for i, r := range s {
		if unicode.IsControl(r) && !strings.ContainsRune(allowed, r) {
			return "", fmt.Errorf("control character %+q at byte %d is not allowed in text that pipe prints and writes to files", r, i)
		}
	}
	return s, nil
}
