package loadtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/auth"
)

// watchProbeLimit bounds the wait for the server's answer to a watch frame.
const watchProbeLimit = 10 * time.Second

// runWatch is the watch scenario: the chat load on Sessions sessions while
// one admin connection watches all of them (the watch frame of the
// human-takeover issue), measuring delivery latency at the admin. A server
// without admin watch makes it report why instead (unavailable).
func (e *runEnv) runWatch(ctx context.Context, t *target) (res *Result, unavailable string, err error) {
	d, err := newDialer(t.wsURL)
	if err != nil {
		return nil, "", err
	}
	if why, err := e.probeWatch(ctx, t, d); why != "" || err != nil {
		return nil, why, err
	}
	l, err := e.startChat(ctx, t, e.cfg.Sessions)
	if err != nil {
		return nil, "", err
	}
	admin, err := e.admin(ctx, t, d)
	if err != nil {
		l.crew.finish()
		return nil, "", err
	}
	for _, c := range l.crew.clients {
		if c.session != "" && admin.write(watchFrame{Type: "watch", SessionID: c.session}) != nil {
			break
		}
	}
	var seen Histogram
	var tokens int64
	read := make(chan struct{})
	go func() {
		defer close(read)
		_ = admin.readUntil(time.Now().Add(MaxDuration), func(f frame) bool {
			if f.Type == "ai_response" {
				parseStamps(f.Delta, func(emitted int64) {
					tokens++
					seen.Record(time.Since(time.Unix(0, emitted)))
				})
			}
			return false
		})
	}()
	res, err = l.measure(ctx)
	admin.close()
	<-read
	if err != nil {
		return nil, "", err
	}
	res.Watch = &WatchResult{Sessions: int(l.setup.replies.Load()), TokensDelivered: tokens, TokenLatency: seen.Summary()}
	res.Errors = mergeCounts(res.Errors, admin.t.errorCounts())
	return res, "", nil
}

// probeWatch asks the server to let an admin watch one session and says
// why the scenario cannot run if the server refuses.
func (e *runEnv) probeWatch(ctx context.Context, t *target, d *dialer) (string, error) {
	users, err := e.newClients(t, 1, "watch-probe", newTally())
	if err != nil {
		return "", err
	}
	user := users[0]
	if err := openSession(ctx, d, user); err != nil {
		return "", fmt.Errorf("loadtest: watch probe: open a session: %w", err)
	}
	defer user.close()
	admin, err := e.admin(ctx, t, d)
	if err != nil {
		return "", err
	}
	defer admin.close()
	if err := admin.write(watchFrame{Type: "watch", SessionID: user.session}); err != nil {
		return "", fmt.Errorf("loadtest: watch probe: %w", err)
	}
	var refusal string
	err = admin.readUntil(time.Now().Add(watchProbeLimit), func(f frame) bool {
		if f.Type == "error" {
			refusal = f.Code
			return true
		}
		return f.SessionID == user.session
	})
	switch {
	case refusal == "unknown_type":
		return "not available: admin watch not built yet (the server answers unknown_type to a watch frame)", nil
	case refusal != "":
		return "not available: the server refused to let an admin watch a session: " + boundedCode(refusal), nil
	case err != nil:
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return fmt.Sprintf("not available: the server closed the admin connection (%d)", ce.Code), nil
		}
		return "not available: no answer to a watch frame within " + watchProbeLimit.String(), nil
	}
	return "", nil
}

// admin connects a client with an admin token.
func (e *runEnv) admin(ctx context.Context, t *target, d *dialer) (*client, error) {
	user := "load-" + e.runID + "-admin"
	token, err := auth.Mint(t.secret, auth.MintOptions{UserID: user, Admin: true, TTL: e.cfg.Timeout + time.Hour})
	if err != nil {
		return nil, fmt.Errorf("loadtest: mint admin token: %w", err)
	}
	c := &client{user: user, token: token, t: newTally(), raw: true}
	if err := c.connect(ctx, d, nil); err != nil {
		return nil, fmt.Errorf("loadtest: connect the admin: %w", err)
	}
	return c, nil
}
