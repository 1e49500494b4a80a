package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// loader executes the pipeline file and the modules it loads. Modules are
// resolved relative to the file that loads them, executed once per run
// (later loads share the frozen globals of the first), and a module that is
// still executing when it is loaded again is a cycle.
//
// All modules run on the run's one thread, so the step limit, cancellation
// and the Env cover them, and an error deep in a loaded file carries the
// whole chain of load() calls in its backtrace.
type loader struct {
	opts        *syntax.FileOptions
	predeclared starlark.StringDict
	modules     map[string]*module // by absolute path
	stack       []string           // display paths of the files executing, outermost first

	// enter, if set, is called as each file starts executing, with its
	// display path and source; the function it returns is called when the
	// file is done. The runtime uses it to attribute what each file renders
	// (builtins.Env.EnterFile).
	enter func(path string, src []byte) (leave func())
}

type module struct {
	globals   starlark.StringDict
	err       error
	executing bool
}

func newLoader(opts *syntax.FileOptions, predeclared starlark.StringDict) *loader {
	return &loader{opts: opts, predeclared: predeclared, modules: map[string]*module{}}
}

// load is the thread's Load function.
func (l *loader) load(thread *starlark.Thread, name string) (starlark.StringDict, error) {
	if !strings.HasSuffix(name, ".star") {
		return nil, fmt.Errorf("only .star files can be loaded")
	}
	path := filepath.FromSlash(name)
	if !filepath.IsAbs(path) && len(l.stack) > 0 {
		path = filepath.Join(filepath.Dir(l.stack[len(l.stack)-1]), path)
	}
	globals, err := l.exec(thread, filepath.Clean(path))
	var missing *missingFileError
	if errors.As(err, &missing) {
		// Starlark's "cannot load NAME: " names what the user wrote; say
		// where that was looked for, and by which rule.
		tried := missing.path
		if abs, err := filepath.Abs(tried); err == nil {
			tried = abs
		}
		return nil, fmt.Errorf("no such file %s (a load path is relative to the folder of the file that loads it)", tried)
	}
	return globals, err
}

// missingFileError is a pipeline file that does not exist, named by its path
// as resolved: relative to the loading file's folder, which may not be the
// name the user wrote.
type missingFileError struct{ path string }

func (e *missingFileError) Error() string { return e.path + ": no such file" }

// exec runs the file at path (as the user should see it in messages) once.
func (l *loader) exec(thread *starlark.Thread, path string) (starlark.StringDict, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if m, ok := l.modules[abs]; ok {
		if m.executing {
			return nil, fmt.Errorf("load cycle: %s", l.cycle(abs, path))
		}
		return m.globals, m.err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &missingFileError{path}
		}
		return nil, err // *PathError names the file and the reason
	}
	if err := checkSource(path, src); err != nil {
		return nil, err
	}
	m := &module{executing: true}
	l.modules[abs] = m
	l.stack = append(l.stack, path)
	leave := func() {}
	if l.enter != nil {
		leave = l.enter(path, src)
	}
	m.globals, m.err = starlark.ExecFileOptions(l.opts, thread, path, src, l.predeclared)
	leave()
	l.stack = l.stack[:len(l.stack)-1]
	m.executing = false
	return m.globals, m.err
}

// checkSource reports the first byte of src that Starlark's scanner cannot
// take as a syntax error at its line and column: a NUL byte, which the
// scanner reads as the end of the file (so the rest of the pipeline would
// silently not run), or a byte that is not part of valid UTF-8.
func checkSource(path string, src []byte) error {
	line, col := 1, 1
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		var msg string
		switch {
		case r == 0:
			msg = "NUL byte"
		case r == utf8.RuneError && size == 1:
			msg = fmt.Sprintf("invalid UTF-8 byte %#x", src[i])
		}
		if msg != "" {
			return syntax.Error{Pos: syntax.MakePosition(&path, int32(line), int32(col)), Msg: msg + ": a pipeline must be UTF-8 text"}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return nil
}

// cycle renders the load chain from the first execution of abs to its
// repeated load, e.g. "a.star → b.star → a.star".
func (l *loader) cycle(abs, again string) string {
	start := 0
	for i, p := range l.stack {
		if a, err := filepath.Abs(p); err == nil && a == abs {
			start = i
			break
		}
	}
	return strings.Join(append(append([]string(nil), l.stack[start:]...), again), " → ")
}

// leadingComment returns the comment block at the top of a pipeline file
// without its "#" markers: the file's own description of what it studies.
// It stops at the first line that is not a comment; a "#" line alone is a
// paragraph break.
func leadingComment(src []byte) string {
	var lines []string
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimRight(line, " \t\r")
		if !strings.HasPrefix(line, "#") {
			break
		}
		line = strings.TrimPrefix(line, "#")
		line = strings.TrimPrefix(line, " ")
		lines = append(lines, line)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
