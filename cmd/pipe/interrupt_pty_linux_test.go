package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal of 120x30.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 120}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// cursorUp is the escape sequence by which bars redraw themselves.
var cursorUp = regexp.MustCompile(`\x1b\[\d*A`)

// TestCtrlCOnTerminal runs a sweep on a real pseudo-terminal, presses Ctrl-C
// (the terminal sends SIGINT, as a user's would) while bars are drawn, and
// checks that nothing redraws above the interrupt message: a bar redrawn
// after it moved the cursor up over it and left a garbled line.
func TestCtrlCOnTerminal(t *testing.T) {
	pipe, dir := pipeForSweep(t), sweepDir(t)
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(pipe, "run", "sweep.star", "--jobs", "2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	kill := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer kill.Stop()

	var mu sync.Mutex
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return // EIO once the run has exited
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(screen(), "loss "); {
		if time.Now().After(deadline) {
			t.Fatalf("no progress bar drawn in a minute:\n%q", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)                 // a few redraws
	if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
		t.Fatal(err)
	}
	err := cmd.Wait()
	<-read
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFail {
		t.Errorf("exit: %v, want status %d", err, exitFail)
	}
	got := screen()
	i := strings.Index(got, interruptMessage)
	if i < 0 {
		t.Fatalf("no interrupt message on the terminal:\n%q", got)
	}
	if !cursorUp.MatchString(got[:i]) {
		t.Errorf("no bar was redrawn before Ctrl-C; the test proves nothing:\n%q", got[:i])
	}
	if after := got[i:]; cursorUp.MatchString(after) {
		t.Errorf("the bars were redrawn over the interrupt message:\n%q", after)
	}
	if !strings.Contains(got[i:], "interrupted: ") {
		t.Errorf("no interrupt summary after the message:\n%q", got[i:])
	}
}
