package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// serve runs h on addr ("" any loopback port) and returns its base URL.
func serve(addr string, h http.Handler) (string, func(), error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("loadtest: fake model address: %w", err)
	}
	if err := requireLoopback(host); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("loadtest: fake model listener: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// ServeBaseline serves the baseline on addr, a loopback address, until ctx
// ends; chatload baseline-serve runs it in a process of its own.
func ServeBaseline(ctx context.Context, addr string, b *Baseline) error {
	_, stop, err := serve(addr, b)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}
