package builtins

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite REFERENCE.md from the doc comments")

// generated are the sections that follow a file's: the constructors of
// nn's registries, whose signatures and docs live there.
var generated = map[string]struct {
	heading, intro string
	text           func() string
}{
	"model.go": {"layers", "The layers of sequential, one per layer type registered in nn; a\nlayer's settings are its attributes, and layer.kind is its name:\n", layerReference},
	"train.go": {"optimizers", "Update rules for train_config(optimizer = ...), one per rule registered\nin nn; settings are attributes, and positional arguments follow the\norder shown:\n", optimizerReference},
}

// reference collects the doc comments of the xxxBuiltins declarations —
// the user reference, written where each builtin is declared — in the
// order Predeclared lists the files.
func reference(t *testing.T) string {
	t.Helper()
	fset := token.NewFileSet()
	var b strings.Builder
	b.WriteString("# pipe builtins reference\n\n")
	b.WriteString("Generated from the doc comments in builtins/*.go by `go test ./builtins -run Reference -update`; edit those, not this file.\n")
	for _, file := range []string{"lang.go", "param.go", "data.go", "model.go", "train.go", "sweep.go", "search.go", "checks.go", "table.go", "plot.go", "report.go", "artifacts.go"} {
		f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR || g.Doc == nil {
				continue
			}
			name := g.Specs[0].(*ast.ValueSpec).Names[0].Name
			if !strings.HasSuffix(name, "Builtins") {
				continue
			}
			found = true
			text := g.Doc.Text()
			// The first line says "xxxBuiltins do what:"; the heading is the file's concern.
			first, rest, _ := strings.Cut(text, "\n")
			first = strings.TrimPrefix(first, name+" ")
			b.WriteString("\n## " + strings.TrimSuffix(file, ".go") + "\n\n")
			b.WriteString(strings.ToUpper(first[:1]) + first[1:] + "\n")
			// Indented blocks (signatures, examples) become code blocks.
			inCode := false
			for _, line := range strings.Split(strings.TrimRight(rest, "\n"), "\n") {
				code := strings.HasPrefix(line, "\t")
				if code != inCode {
					b.WriteString("```\n")
					inCode = code
				}
				b.WriteString(strings.TrimPrefix(line, "\t") + "\n")
			}
			if inCode {
				b.WriteString("```\n")
			}
		}
		if !found {
			t.Errorf("%s: no documented ...Builtins declaration", file)
		}
		if gen, ok := generated[file]; ok {
			b.WriteString("\n## " + gen.heading + "\n\n" + gen.intro + "\n```\n" + gen.text() + "```\n")
		}
	}
	return b.String()
}

// TestReference keeps REFERENCE.md equal to the doc comments and checks
// that they document every builtin.
func TestReference(t *testing.T) {
	ref := reference(t)
	names := sortedKeys(Predeclared())
	sort.Strings(names)
	for _, name := range names {
		if !strings.Contains(ref, name+"(") && !strings.Contains(ref, name+".") { // a module: math.pow(

			t.Errorf("builtin %s has no signature in the doc comments", name)
		}
	}
	if *update {
		if err := os.WriteFile("REFERENCE.md", []byte(ref), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != ref {
		t.Error("REFERENCE.md differs from the doc comments; run go test ./builtins -run Reference -update")
	}
}
