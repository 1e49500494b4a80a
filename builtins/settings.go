package builtins

import (
	"fmt"
	"slices"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// settings is the ordered list of named settings a configurable value (a
// model, a layer, an optimiser, a training configuration) was made with,
// after defaults and normalisation. They are its attributes, and replace()
// and sweep grids rebuild the value from them with some changed, through the
// same constructor, so every value is checked the same way however it is made.
type settings struct {
	names []string
	vals  []starlark.Value
}

func (s *settings) add(name string, v starlark.Value) {
	v.Freeze()
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

func (s settings) get(name string) (starlark.Value, bool) {
	if i := slices.Index(s.names, name); i >= 0 {
		return s.vals[i], true
	}
	return nil, false
}

func (s settings) has(name string) bool { return slices.Contains(s.names, name) }

// kwargs returns the settings as keyword arguments with the values of
// override replacing theirs; override keys must be settings.
func (s settings) kwargs(override map[string]starlark.Value) []starlark.Tuple {
	kw := make([]starlark.Tuple, len(s.names))
	for i, name := range s.names {
		v := s.vals[i]
		if o, ok := override[name]; ok {
			v = o
		}
		kw[i] = starlark.Tuple{starlark.String(name), v}
	}
	return kw
}

// format renders the settings as a call of fn, e.g. adam(lr=0.001, ...).
func (s settings) format(fn string) string {
	var b strings.Builder
	b.WriteString(fn)
	b.WriteByte('(')
	for i, name := range s.names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", name, s.vals[i].String())
	}
	b.WriteByte(')')
	return b.String()
}

// overrides checks a replace() call's arguments (keywords only, each a
// setting named in valid) and returns them as a map.
func overrides(fn string, args starlark.Tuple, kwargs []starlark.Tuple, valid []string) (map[string]starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: got %d positional arguments, want keyword arguments only", fn, len(args))
	}
	m := make(map[string]starlark.Value, len(kwargs))
	for _, kv := range kwargs {
		name := string(kv[0].(starlark.String))
		if !slices.Contains(valid, name) {
			return nil, fmt.Errorf("%s: unknown setting %q (valid: %s)", fn, name, strings.Join(sortedCopy(valid), ", "))
		}
		m[name] = kv[1]
	}
	return m, nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// settingValue converts a Starlark setting to the Go value a
// results.Setting holds: int64, float64, string or bool; anything else
// (an optimiser in a grid, say) by its Starlark form.
func settingValue(v starlark.Value) any {
	switch v := v.(type) {
	case starlark.Int:
		if i, ok := v.Int64(); ok {
			return i
		}
		return v.String()
	case starlark.Float:
		return float64(v)
	case starlark.String:
		return string(v)
	case starlark.Bool:
		return bool(v)
	}
	return v.String()
}

// attrNames returns names plus the methods of a value, sorted, for dir().
func attrNames(names []string, methods ...string) []string {
	return sortedCopy(append(slices.Clone(names), methods...))
}

// equalByForm compares two configurable values of one type by their
// settings, which their String form lists in full: sgd() == sgd(), and a
// model rebuilt by replace with the same settings equals the original.
func equalByForm(op syntax.Token, x, y starlark.Value) (bool, error) {
	switch op {
	case syntax.EQL:
		return x.String() == y.String(), nil
	case syntax.NEQ:
		return x.String() != y.String(), nil
	}
	return false, fmt.Errorf("%s %s %s not supported", x.Type(), op, y.Type())
}
