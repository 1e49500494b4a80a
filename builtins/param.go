package builtins

import (
	"fmt"
	"strconv"

	"go.starlark.net/starlark"
)

// paramBuiltins declares pipeline parameters:
//
//	param(name, default)
//	    Declares the parameter name and returns its value: the -p name=value
//	    given to pipe run, converted to the type of default (int, float,
//	    string or bool), or default when no -p names it. A name may be
//	    declared once per run; a -p naming no declared parameter is an error.
//
// Example: epochs = param("epochs", 1), then pipe run FILE -p epochs=3.
var paramBuiltins = starlark.StringDict{
	"param": starlark.NewBuiltin("param", param),
}

func param(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var def starlark.Value
	if err := unpackArgs(b.Name(), args, kwargs, "name", &name, "default", &def); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("%s: for parameter name: empty name", b.Name())
	}
	switch def.(type) {
	case starlark.Int, starlark.Float, starlark.String, starlark.Bool:
	default:
		return nil, fmt.Errorf("%s: for parameter default: got %s, want int, float, string or bool", b.Name(), def.Type())
	}
	env, err := envFor(thread, b.Name())
	if err != nil {
		return nil, err
	}
	if env.Used[name] {
		return nil, fmt.Errorf("%s: parameter %q declared twice", b.Name(), name)
	}
	if env.Used == nil {
		env.Used = map[string]bool{}
	}
	env.Used[name] = true

	s, ok := env.Params[name]
	if !ok {
		return def, nil
	}
	v, err := parseParam(s, def)
	if err != nil {
		return nil, fmt.Errorf("%s: -p %s=%s: %v", b.Name(), name, s, err)
	}
	return v, nil
}

// parseParam converts the text of a -p override to the type of def.
func parseParam(s string, def starlark.Value) (starlark.Value, error) {
	switch def.(type) {
	case starlark.Int:
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return nil, fmt.Errorf("want an int like the default %s", def)
		}
		return starlark.MakeInt64(i), nil
	case starlark.Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("want a float like the default %s", def)
		}
		return starlark.Float(f), nil
	case starlark.Bool:
		t, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("want true or false like the default %s", def)
		}
		return starlark.Bool(t), nil
	}
	return starlark.String(s), nil
}
