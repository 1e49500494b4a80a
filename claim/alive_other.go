//go:build !unix

package claim

// processAlive cannot tell here, so every claim is judged by its lease.
func processAlive(int) bool { return true }
