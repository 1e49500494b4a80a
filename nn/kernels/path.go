package kernels

import (
	"fmt"
	"slices"
	"strings"
)

// A path is one set of micro-kernels: "avx512", "avx2" (amd64), "neon"
// (arm64) or "go" (everywhere). Every path computes each element of a
// product with the same operations in the same order (see microKernelGo
// and sgemmWith), so they give the same bits; they differ only in speed.
// The fastest path the CPU has is chosen at start-up.
var path = initPath()

func initPath() string {
	p := paths()[0]
	setPath(p)
	return p
}

// Path returns the name of the kernel path in use.
func Path() string { return path }

// Paths returns the kernel paths this build can run on this CPU, fastest
// first.
func Paths() []string { return paths() }

// SetPath makes later calls use the named path, one of Paths(), so that
// tests and benchmarks can compare paths in one process. It must not be
// called while kernels run.
func SetPath(name string) error {
	if !slices.Contains(paths(), name) {
		return fmt.Errorf("kernels: no kernel path %q on this machine (have %s)", name, strings.Join(paths(), ", "))
	}
	path = name
	setPath(name)
	return nil
}
