package builtins

import (
	"fmt"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// valueType is what every pipe value (data, layer, model, optimizer,
// train_config, result) shares, embedded in it: its Starlark type name, and
// that it is immutable once made (settings are frozen as they are added),
// always true and unhashable.
type valueType string

func (t valueType) Type() string          { return string(t) }
func (valueType) Freeze()                 {}
func (valueType) Truth() starlark.Bool    { return true }
func (t valueType) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", string(t)) }

// configured is what the values made from settings share (a layer, a model,
// an optimiser, a training configuration): the constructor that made it
// (kind) and its settings, which are its String form — the call that makes
// it again —, its equality and, with its methods, its attributes.
type configured struct {
	valueType
	kind    string // the constructor: conv, three_layer_convnet, adam, train_config
	set     settings
	methods []string // attributes besides the settings
}

var _ starlark.Comparable = (*configured)(nil)

func (c *configured) String() string      { return c.set.format(c.kind) }
func (c *configured) AttrNames() []string { return attrNames(c.set.names, c.methods...) }

func (c *configured) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	return equalByForm(op, c, y)
}
