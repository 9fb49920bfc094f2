// Command ferretdbserver runs an embedded FerretDB (SQLite handler) for the
// tests, in a process of its own. Package mongotest builds and starts it;
// it is never part of the chatbox binary.
//
// It runs out of the test process so that the race detector, which slows
// FerretDB and its pure-Go SQLite by more than ten times, instruments only
// the code under test, and so that stopping the server closes every
// connection exactly as a database crash would.
//
//	ferretdbserver -listen 127.0.0.1:0 -dir /tmp/data
//
// Once it accepts connections it prints "listening HOST:PORT" on stdout. It
// exits on SIGTERM or SIGINT, and when its stdin closes, so a test process
// that dies never leaves it behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdbserver:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on")
	dir := flag.String("dir", "", "data directory (required)")
	flag.Parse()
	if *dir == "" {
		return errors.New("-dir is required")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // returns when the parent goes away
		cancel()
	}()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL(*dir),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	// MongoDBURI waits until Run has bound the listener.
	addr := strings.TrimSuffix(strings.TrimPrefix(f.MongoDBURI(), "mongodb://"), "/")
	fmt.Println("listening", addr)
	return <-done
}

// sqliteURL is FerretDB's SQLite setting for the tests' data directory.
// Write transactions take the lock when they begin, so concurrent writers
// queue instead of failing to upgrade a read lock and sleeping in SQLite's
// busy handler; commits skip fsync, since test data need only survive the
// process being killed, which the operating system's cache does.
func sqliteURL(dir string) string {
	return "file:" + strings.TrimSuffix(dir, "/") + "/?_txlock=immediate&_pragma=synchronous(off)"
}
