package server

import "context"

// runUntilClose runs fn on a goroutine of its own with a context that Close
// cancels; Close then waits for fn to return, so nothing it uses (storage,
// the bus) is closed under it.
func (a *App) runUntilClose(fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	a.closers = append(a.closers, func() {
		cancel()
		<-done
	})
}
