package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/chatboxhq/chatbox/internal/loadtest"
)

// baselineServe runs the bare-frame baseline server until ctx ends; the
// harness starts it as a child process so its memory and CPU are its own.
func baselineServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("chatload baseline-serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback listen address")
	tokens := fs.Int("tokens", 100, "tokens per reply unless a message asks otherwise")
	rate := fs.Float64("rate", 20, "tokens per second unless a message asks otherwise")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loadtest.ServeBaseline(ctx, *addr, loadtest.NewBaseline(*tokens, *rate)); err != nil {
		return fmt.Errorf("baseline-serve: %w", err)
	}
	return nil
}
