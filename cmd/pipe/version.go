package main

import (
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"

	"github.com/pipe-ml/pipe/results"
)

const versionUsage = `Usage: pipe version

Prints pipe's module version (with the VCS revision when built from a
checkout), the numerics version that is part of every trial's cache key, and
the Go version it was built with.
`

func versionCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe version", versionUsage, stdout, stderr)
	rest, err := c.parse(args)
	if err == nil && len(rest) > 0 {
		err = c.fail(fmt.Errorf("unexpected argument %q", rest[0]))
	}
	if err != nil {
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "pipe %s\nnumerics version %s\n%s %s/%s\n",
		moduleVersion(), results.NumericsVersion, goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	return exitOK
}

// moduleVersion is the version go install recorded, or for a build from a
// checkout "(devel)" with the revision and whether the tree was modified.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev != "" && (v == "(devel)" || v == "") {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + modified
	}
	return v
}
