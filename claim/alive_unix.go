//go:build unix

package claim

import (
	"errors"
	"syscall"
)

// processAlive reports whether process pid exists on this machine (signal
// 0 checks without sending anything; EPERM means it exists as another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
