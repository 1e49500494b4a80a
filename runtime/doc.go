// Package runtime runs a pipeline: it evaluates a .star file with pipe's
// builtins, resolves its load() statements, applies -p parameter overrides,
// bounds and cancels evaluation, turns every failure into one message that
// names the user's file and line, and schedules the trials the builtins ask
// for on a worker pool backed by the results cache.
//
// The package name shadows the standard library's runtime inside this
// package only; it is imported as goruntime here.
package runtime
