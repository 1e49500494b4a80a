package runtime

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// undefinedHint adds to Starlark's "undefined: NAME" the two hints a
// newcomer needs: the builtin or universal name it is a misspelling of
// (the resolver only suggests the file's own names), or the library file
// that defines it when the file forgot to load() it. e is one resolve
// error; predeclared are the names pipelines see.
func undefinedHint(e resolve.Error, predeclared starlark.StringDict) string {
	msg := e.Error()
	m := undefinedRE.FindStringSubmatch(e.Msg)
	if m == nil {
		return msg
	}
	name := m[1]
	if lib := definedInLib(e.Pos.Filename(), name); lib != "" {
		return msg + " (it is defined in " + lib + `: add load("` + lib + `", "` + name + `"))`
	}
	if strings.Contains(e.Msg, "did you mean") {
		return msg
	}
	names := slices.Collect(func(yield func(string) bool) {
		for n := range predeclared {
			if !yield(n) {
				return
			}
		}
		for n := range starlark.Universe {
			if !yield(n) {
				return
			}
		}
	})
	slices.Sort(names)
	if n := Closest(name, names); n != "" {
		return msg + " (did you mean " + n + "?)"
	}
	return msg
}

var undefinedRE = regexp.MustCompile(`^undefined: ([A-Za-z_][A-Za-z_0-9]*)`)

// definedInLib returns the path, as load() would be written in file, of
// the first library file that defines name at top level: the .star files
// in lib/ beside file, or beside it when file is itself in lib/. Names
// starting with "_" are private to their file and are not offered.
func definedInLib(file, name string) string {
	if strings.HasPrefix(name, "_") || file == "" {
		return ""
	}
	dir := filepath.Dir(file)
	var cands []string
	if filepath.Base(dir) == "lib" {
		cands, _ = filepath.Glob(filepath.Join(dir, "*.star"))
	}
	more, _ := filepath.Glob(filepath.Join(dir, "lib", "*.star"))
	cands = append(cands, more...)
	for _, c := range cands {
		if filepath.Clean(c) == filepath.Clean(file) {
			continue
		}
		if topLevelNames(c)[name] {
			rel, err := filepath.Rel(dir, c)
			if err != nil {
				continue
			}
			return filepath.ToSlash(rel)
		}
	}
	return ""
}

// topLevelNames parses (never executes) a pipeline file and returns the
// names it binds at top level: assignments, defs and loads.
func topLevelNames(path string) map[string]bool {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	f, err := fileOptions.Parse(path, src, 0)
	if err != nil {
		return nil
	}
	names := map[string]bool{}
	var bind func(e syntax.Expr)
	bind = func(e syntax.Expr) {
		switch e := e.(type) {
		case *syntax.Ident:
			names[e.Name] = true
		case *syntax.TupleExpr:
			for _, x := range e.List {
				bind(x)
			}
		case *syntax.ListExpr:
			for _, x := range e.List {
				bind(x)
			}
		case *syntax.ParenExpr:
			bind(e.X)
		}
	}
	for _, s := range f.Stmts {
		switch s := s.(type) {
		case *syntax.AssignStmt:
			bind(s.LHS)
		case *syntax.DefStmt:
			names[s.Name.Name] = true
		case *syntax.LoadStmt:
			for _, id := range s.To {
				names[id.Name] = true
			}
		}
	}
	return names
}
