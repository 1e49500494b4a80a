package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pipe-ml/pipe/results/web"
)

const serveUsage = `Usage: pipe serve [DIR] [--addr 127.0.0.1:8080]

Serves a read-only dashboard of the output root DIR (default: $PIPE_OUT,
else out) at http://ADDR/: every pipeline and trial in a table that sorts
and filters, a comparison of picked trials (settings side by side, the
differing ones highlighted, curves overlaid), each pipeline's tables and
figures, and the live progress of trials a pipe run is training into DIR
right now (the page updates without a reload). It reads only DIR's trial store, manifests
and progress files, writes nothing, and serves no file outside DIR. It
listens on loopback unless --addr says otherwise. Ctrl-C stops it.

Flags:
`

// serveCmd implements pipe serve.
func serveCmd(args []string, stdout, stderr io.Writer) int {
	c := newCommand("pipe serve", serveUsage, stdout, stderr)
	addr := c.fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT` (a non-loopback host shows the results to the network)")
	dirs, err := c.parse(args)
	dir := outRoot("")
	switch {
	case err != nil:
	case len(dirs) > 1:
		err = c.fail(fmt.Errorf("want at most one DIR, got %d: %s", len(dirs), quoteList(dirs)))
	case len(dirs) == 1:
		dir = dirs[0]
	}
	if err != nil {
		return exitCode(err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "pipe serve: %s is not a folder (the output root of pipe run, e.g. out)\n", dir)
		return exitFail
	}
	srv, err := web.NewServer(dir)
	if err != nil {
		fmt.Fprintf(stderr, "pipe %v\n", err)
		return exitFail
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "pipe serve: --addr %s: %v\n", *addr, err)
		return exitFail
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			fmt.Fprintf(stderr, "pipe serve: listening on %s: anyone who can reach this machine can read the results\n", host)
		}
	}
	fmt.Fprintf(stdout, "pipe serve: %s at http://%s/ (read-only; Ctrl-C stops)\n", dir, ln.Addr())

	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "pipe serve: %v\n", err)
		return exitFail
	}
	return exitOK
}
