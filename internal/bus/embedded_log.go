package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// serverLogger adapts slog to nats-server's Logger interface, and keeps
// the first fatal message so StartEmbedded can fail with the server's own
// reason (such as "address already in use") instead of a bare timeout.
type serverLogger struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal string
}

func (l *serverLogger) logf(level slog.Level, format string, v []any) {
	// Formatting is skipped for disabled levels; nats-server logs often.
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}

// Noticef implements server.Logger. Notices (the start-up banner, the
// listen address) go to debug: for an embedded server they are noise at
// every start, while its warnings and errors still stand out.
func (l *serverLogger) Noticef(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Warnf implements server.Logger.
func (l *serverLogger) Warnf(format string, v ...any) { l.logf(slog.LevelWarn, format, v) }

// Errorf implements server.Logger.
func (l *serverLogger) Errorf(format string, v ...any) { l.logf(slog.LevelError, format, v) }

// Debugf implements server.Logger.
func (l *serverLogger) Debugf(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Tracef implements server.Logger.
func (l *serverLogger) Tracef(format string, v ...any) { l.logf(slog.LevelDebug, format, v) }

// Fatalf implements server.Logger. nats-server's own loggers exit the
// process here; an embedded server must not, so the message is logged and
// recorded, and the server goes on to fail its readiness check.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	if l.fatal == "" {
		l.fatal = msg
	}
	l.mu.Unlock()
	l.log.Error(msg, "fatal", true)
}

// fatalMessage returns the first fatal message, or "".
func (l *serverLogger) fatalMessage() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
