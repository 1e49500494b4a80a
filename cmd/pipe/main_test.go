package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes this test binary double as the pipe command: testscript
// puts a copy named "pipe" on $PATH, and running it runs pipeMain.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pipe": func() { os.Exit(pipeMain(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script: each writes small
// .star files, runs pipe and checks its output and exit status.
// $PIPELINES is the repository's pipelines folder, for scripts that run
// the shipped pipelines on small budgets.
func TestScripts(t *testing.T) {
	pipelines, err := filepath.Abs("../../pipelines")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Setup: func(e *testscript.Env) error {
			e.Setenv("PIPELINES", pipelines)
			return nil
		},
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                map[string]func(ts *testscript.TestScript, neg bool, args []string){"replace": replaceCmd},
	})
}

// replaceCmd is the script command "replace FILE REGEXP NEW": it replaces
// the first match of REGEXP in FILE (a glob that must match one file, since
// record names are keys) by NEW, in which Go escapes work (\x00 is a NUL
// byte, a plain " a quote), and fails when nothing matches. Scripts use it
// to edit records by hand.
func replaceCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE REGEXP NEW")
	}
	paths, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(paths) != 1 {
		ts.Fatalf("replace: %s matches %d files, want 1", args[0], len(paths))
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	repl, err := strconv.Unquote(`"` + strings.ReplaceAll(args[2], `"`, `\"`) + `"`)
	ts.Check(err)
	b, err := os.ReadFile(paths[0])
	ts.Check(err)
	loc := re.FindIndex(b)
	if loc == nil {
		ts.Fatalf("replace: %s does not match %s", args[0], args[1])
	}
	out := append(append(append([]byte(nil), b[:loc[0]]...), repl...), b[loc[1]:]...)
	ts.Check(os.WriteFile(paths[0], out, 0o644))
}
