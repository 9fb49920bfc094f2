package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Snapshots use NATS request-reply on "<prefix>.snapshot.<sessionID>".
// Only the instance generating a reply subscribes to its session's
// subject, so a request with nobody generating fails at once with "no
// responders" instead of waiting for a timeout.

type wireSnapshot struct {
	StreamID string `json:"stream_id"`
	ReplyTo  int64  `json:"reply_to"`
	Text     string `json:"text"`
	Deltas   int    `json:"deltas"`
	OK       bool   `json:"ok"`
}

func (b *Bus) snapshotSubject(sessionID string) (string, error) {
	if err := validSessionID(sessionID); err != nil {
		return "", err
	}
	return b.prefix + ".snapshot." + sessionID, nil
}

// ServeSnapshot answers snapshot requests for sessionID with fn until stop
// is called. Requests are answered on NATS's delivery goroutine, so fn must
// be quick (it reads in-memory state).
func (b *Bus) ServeSnapshot(sessionID string, fn func() (chat.StreamSnapshot, bool)) (func(), error) {
	if err := b.usable(); err != nil {
		return nil, err
	}
	subj, err := b.snapshotSubject(sessionID)
	if err != nil {
		return nil, err
	}
	sub, err := b.nc.Subscribe(subj, func(m *nats.Msg) {
		snap, ok := fn()
		data, err := json.Marshal(wireSnapshot{StreamID: snap.StreamID, ReplyTo: snap.ReplyTo, Text: snap.Text, Deltas: snap.Deltas, OK: ok})
		if err == nil {
			err = m.Respond(data)
		}
		if err != nil {
			b.log.Debug("bus: snapshot reply failed", "session_id", sessionID, "err", err)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("bus: serve snapshot for session %s: %w", sessionID, err)
	}
	// Subscribe only queues the subscription for the server; until it has
	// it, a request from another instance finds "no responders" and a
	// resuming client would miss the text streamed so far. The flush is
	// one round trip to the server, before the reply's first request to
	// the model.
	if err := b.nc.FlushTimeout(b.flushTimeout); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("bus: serve snapshot for session %s: %w", sessionID, err)
	}
	return func() {
		// Flushing makes the server forget the subscription before stop
		// returns, so no request is routed here and left unanswered.
		if err := sub.Unsubscribe(); err == nil && b.nc.IsConnected() {
			_ = b.nc.FlushTimeout(b.flushTimeout)
		}
	}, nil
}

// RequestSnapshot asks the instance generating sessionID's reply for the
// text so far.
func (b *Bus) RequestSnapshot(ctx context.Context, sessionID string) (chat.StreamSnapshot, bool, error) {
	if err := b.usable(); err != nil {
		return chat.StreamSnapshot{}, false, err
	}
	subj, err := b.snapshotSubject(sessionID)
	if err != nil {
		return chat.StreamSnapshot{}, false, err
	}
	m, err := b.nc.RequestWithContext(ctx, subj, nil)
	if errors.Is(err, nats.ErrNoResponders) {
		return chat.StreamSnapshot{}, false, nil
	}
	if err != nil {
		return chat.StreamSnapshot{}, false, fmt.Errorf("bus: request snapshot of session %s: %w", sessionID, err)
	}
	var w wireSnapshot
	if err := json.Unmarshal(m.Data, &w); err != nil {
		return chat.StreamSnapshot{}, false, fmt.Errorf("bus: decode snapshot of session %s: %w", sessionID, err)
	}
	return chat.StreamSnapshot{StreamID: w.StreamID, ReplyTo: w.ReplyTo, Text: w.Text, Deltas: w.Deltas}, w.OK, nil
}
