package runtime

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// InternalError is a Go panic caught inside pipe (a builtin, the numerics).
// It is a bug in pipe, not in the pipeline; its message says so, and the Go
// stack is kept for PIPE_DEBUG=1 rather than shown to the user.
type InternalError struct {
	Value any
	Stack []byte
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error (a bug in pipe, please report it): %v", e.Value)
}

// UserError is a failed run, already formatted for the user: a Starlark
// backtrace, a "file:line:col: msg" syntax error, or a plain message. Run
// returns its errors as *UserError so that the CLI only has to print them.
type UserError struct {
	Msg   string
	cause error
}

func (e *UserError) Error() string { return e.Msg }
func (e *UserError) Unwrap() error { return e.cause }

// formatError turns an error from evaluating a pipeline into the message the
// user sees. It picks the innermost Starlark EvalError of the chain: loads
// run on the same thread, so the innermost one has the full stack through
// every load() down to the failing line, while the outer ones only say
// "cannot load X". An undefined name gets a hint (see undefinedHint).
func formatError(err error, predeclared starlark.StringDict) string {
	var deepest *starlark.EvalError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if ee, ok := e.(*starlark.EvalError); ok {
			deepest = ee
		}
	}
	if deepest != nil {
		return backtrace(deepest)
	}
	var rl resolve.ErrorList
	if errors.As(err, &rl) {
		lines := make([]string, len(rl))
		for i, e := range rl {
			lines[i] = undefinedHint(e, predeclared)
		}
		return strings.Join(lines, "\n")
	}
	var se syntax.Error
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}

// backtrace is EvalError.Backtrace without the builtin's name twice.
// Starlark ends a backtrace with "Error in NAME: " + the message, and
// builtins (pipe's and Starlark's own, like len) start their messages with
// "NAME: " so that they read well on their own; the user should see
// "Error in dataset: data: ..." rather than "Error in dataset: dataset: ...".
func backtrace(e *starlark.EvalError) string {
	stack := e.CallStack
	last := len(stack) - 1
	if last < 0 || stack[last].Pos.Filename() != "<builtin>" {
		return e.Backtrace()
	}
	name := stack[last].Name
	return fmt.Sprintf("%sError in %s: %s", stack[:last], name, strings.TrimPrefix(e.Msg, name+": "))
}

// guard wraps every builtin of predeclared (and of the modules in it) so
// that a Go panic inside it becomes an *InternalError returned to the
// interpreter. Returned from inside the builtin, the error is attached by
// the interpreter to the user's call site, so the message names the .star
// file and line of the call — never a Go trace.
func guard(predeclared starlark.StringDict) starlark.StringDict {
	out := make(starlark.StringDict, len(predeclared))
	for name, v := range predeclared {
		out[name] = guardValue(v)
	}
	return out
}

func guardValue(v starlark.Value) starlark.Value {
	switch v := v.(type) {
	case *starlark.Builtin:
		return guardBuiltin(v)
	case *starlarkstruct.Module:
		return &starlarkstruct.Module{Name: v.Name, Members: guard(v.Members)}
	}
	return v
}

func guardBuiltin(b *starlark.Builtin) *starlark.Builtin {
	return starlark.NewBuiltin(b.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (v starlark.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, &InternalError{Value: r, Stack: debug.Stack()}
			}
		}()
		// CallInternal, not starlark.Call: the interpreter has already pushed
		// this builtin's frame, and a second frame would show in backtraces.
		return b.CallInternal(thread, args, kwargs)
	})
}

// EscapeControls writes the control characters of s other than newline and
// tab as Go escapes (ESC as \x1b, CR as \r), so that what a pipeline
// prints — print() and its error messages, fail() included — cannot move
// the cursor, clear the screen or hide a line, whether it goes to a terminal
// or a log file. Builtins refuse such characters in labels and titles
// outright; print() shows any value, so it escapes instead.
func EscapeControls(s string) string {
	if !strings.ContainsFunc(s, isEscaped) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !isEscaped(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func isEscaped(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }
