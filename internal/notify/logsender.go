package notify

import (
	"context"
	"log/slog"
)

// logSender is the Log channel: one structured line per alert, at warning
// level so it stands out. It carries what an admin needs to act (what, who,
// where to click) but never the user's message: logs are not the place for
// conversation content.
type logSender struct{ log *slog.Logger }

func (s logSender) Send(ctx context.Context, m Message) error {
	s.log.LogAttrs(ctx, slog.LevelWarn, "admin notification",
		slog.String("event", string(m.Event)),
		slog.String("subject", m.Subject),
		slog.String("session_id", m.SessionID),
		slog.String("user_id", m.UserID),
		slog.String("link", m.Link),
		slog.String("notification_id", m.ID),
	)
	return nil
}
