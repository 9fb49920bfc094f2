//go:build linux

package faults

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
)

// frame is a decoded server frame.
type frame map[string]any

func (f frame) str(k string) string {
	s, _ := f[k].(string)
	return s
}

func (f frame) num(k string) int64 {
	n, _ := f[k].(float64)
	return int64(n)
}

// chatter is one user with one session, talking to whichever instance it
// is connected to. It records every stored message delivered to it, so
// the test can check none was missed or delivered twice. Each chatter is
// driven by one goroutine.
type chatter struct {
	user      string
	tok       string
	conn      *websocket.Conn
	sessionID string
	lastSeq   int64
	// delivered counts message frames per seq across every connection.
	delivered map[int64]int
	// acked holds the client_msg_ids the server acknowledged.
	acked map[string]int64
	// answered holds the user seqs an ai message replied to.
	answered map[int64]bool
	// deltas counts ai_response frames on the current connection.
	deltas int
}

func newChatter(user, tok string) *chatter {
	return &chatter{user: user, tok: tok, delivered: map[int64]int{}, acked: map[string]int64{}, answered: map[int64]bool{}}
}

// connect opens a connection to in and reads its connection_status.
func (c *chatter) connect(in *instance) error {
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	conn, _, err := d.Dial(in.wsURL+"?token="+c.tok, nil)
	if err != nil {
		return fmt.Errorf("%s: dial %s: %w", c.user, in.name, err)
	}
	c.conn, c.deltas = conn, 0
	f, err := c.next()
	if err != nil {
		return err
	}
	if f.str("type") != "connection_status" {
		return fmt.Errorf("%s: first frame %v", c.user, f)
	}
	return nil
}

func (c *chatter) close() {
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

// next reads one frame, recording stored messages.
func (c *chatter) next() (frame, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(waitLimit))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", c.user, err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON %q: %w", c.user, data, err)
	}
	switch f.str("type") {
	case "message":
		seq := f.num("seq")
		c.delivered[seq]++
		if seq > c.lastSeq {
			c.lastSeq = seq
		}
		if c.sessionID == "" {
			c.sessionID = f.str("session_id")
		}
		if f.str("sender") == "user" && f.str("client_msg_id") != "" {
			c.acked[f.str("client_msg_id")] = seq
		}
		if f.str("sender") == "ai" {
			c.answered[f.num("reply_to")] = true
		}
	case "ai_response":
		c.deltas++
	}
	return f, nil
}

// until reads frames until match holds for one, returning it.
func (c *chatter) until(match func(frame) bool) (frame, error) {
	for {
		f, err := c.next()
		if err != nil {
			return nil, err
		}
		if match(f) {
			return f, nil
		}
	}
}

// ask sends a question and waits for its acknowledgement.
func (c *chatter) ask(clientMsgID, content string) error {
	m := map[string]any{"type": "user_message", "client_msg_id": clientMsgID, "content": content}
	if c.sessionID != "" {
		m["session_id"] = c.sessionID
	}
	if err := c.conn.WriteJSON(m); err != nil {
		return fmt.Errorf("%s: send: %w", c.user, err)
	}
	f, err := c.until(func(f frame) bool {
		return f.str("client_msg_id") == clientMsgID || (f.str("type") == "error" && f.str("ref") == clientMsgID)
	})
	if err != nil {
		return err
	}
	if f.str("type") == "error" {
		return fmt.Errorf("%s: %s refused: %v", c.user, clientMsgID, f)
	}
	return nil
}

// answerTo waits until an ai message covering user seq has arrived, on
// this connection or an earlier one: a reply to seq or to a later
// question (follow-ups sent during a reply are answered together).
func (c *chatter) answerTo(seq int64) error {
	if c.covered(seq) {
		return nil
	}
	_, err := c.until(func(frame) bool { return c.covered(seq) })
	return err
}

// covered reports whether an ai message delivered so far answers user
// seq or a later question.
func (c *chatter) covered(seq int64) bool {
	for replyTo := range c.answered {
		if replyTo >= seq {
			return true
		}
	}
	return false
}

// reply waits for the assistant's stored answer, or an error frame.
func (c *chatter) reply() (frame, error) {
	return c.until(func(f frame) bool {
		return (f.str("type") == "message" && f.str("sender") == "ai") || f.str("type") == "error"
	})
}

// resume follows the session again after a reconnect, from the last seq
// this client saw, and waits for the resumed frame.
func (c *chatter) resume() (frame, error) {
	if err := c.conn.WriteJSON(map[string]any{"type": "resume", "session_id": c.sessionID, "last_seq": c.lastSeq}); err != nil {
		return nil, fmt.Errorf("%s: send resume: %w", c.user, err)
	}
	return c.until(func(f frame) bool { return f.str("type") == "resumed" || f.str("type") == "error" })
}

// waitDropped reads until the connection fails, as it does when the
// instance behind it dies.
func (c *chatter) waitDropped() error {
	for {
		if _, err := c.next(); err != nil {
			return nil
		}
	}
}
