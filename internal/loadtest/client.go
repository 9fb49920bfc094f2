package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// errStopped ends a read loop that was stopped on purpose.
var errStopped = errors.New("client stopped")

// client is one simulated user with one WebSocket connection and one
// session. A client is driven by one goroutine; only close may be called
// from another.
//
// It checks what the protocol promises as it reads: messages of its session
// arrive once each in seq order (gaps count as lost, repeats as
// duplicated), a stored reply has exactly the text that was streamed, no
// token arrives twice, and no delta of a reply arrives after the stored
// reply itself.
type client struct {
	user  string
	token string
	t     *tally
	ws    *websocket.Conn
	// live is ws for close, which other goroutines may call.
	live atomic.Pointer[websocket.Conn]

	session string
	lastSeq int64 // highest seq received in order

	asked      int       // messages sent, for client_msg_ids
	askID      string    // client_msg_id of the question waiting for its reply
	askSeq     int64     // its seq once acknowledged
	answered   bool      // its reply has arrived
	sentAt     time.Time // when the question was sent
	gotFirst   bool      // its first delta has arrived
	streamID   string
	lastTok    int64           // emission stamp of the stream's newest token
	answeredTo int64           // highest reply_to of a stored reply received
	streamed   strings.Builder // the reply's text streamed on this connection
	carried    string          // text streamed before a reconnect

	// measureTokens makes the client record each token's delivery latency;
	// off where deltas are catch-up rather than live.
	measureTokens bool
	// raw skips the per-session bookkeeping, for an admin that follows
	// many sessions; error frames are still counted.
	raw      bool
	stopping atomic.Bool
}

// connect dials (again), waits for connection_status and reports the time
// it took; the previous connection, if any, must be closed.
func (c *client) connect(ctx context.Context, d *dialer, h *Histogram) error {
	c.stopping.Store(false)
	start := time.Now()
	ws, err := d.dial(ctx, c.token)
	if err != nil {
		var de *dialError
		if errors.As(err, &de) {
			c.t.fail(de.label)
		}
		return err
	}
	c.ws = ws
	c.live.Store(ws)
	c.streamed.Reset()
	c.streamID = ""
	err = c.readUntil(time.Now().Add(handshakeTimeout), func(f frame) bool { return f.Type == "connection_status" })
	if err != nil {
		return err
	}
	if h != nil {
		h.Record(time.Since(start))
	}
	return nil
}

// ask sends a user message asking for a reply of the given shape.
func (c *client) ask(shape replyShape) error {
	c.asked++
	c.askID = c.user + "-" + strconv.Itoa(c.asked)
	c.askSeq = 0
	c.answered = false
	c.gotFirst = false
	c.sentAt = time.Now()
	return c.write(userMessage{Type: "user_message", SessionID: c.session, ClientMsgID: c.askID,
		Content: shape.directive(c.askID)})
}

// replied reports whether f is the stored reply to the pending question.
func (c *client) replied(f frame) bool {
	return f.Type == "message" && f.Sender == "ai" && c.askSeq > 0 && f.ReplyTo == c.askSeq
}

// resume asks to catch up on the session after lastSeq.
func (c *client) resume(lastSeq int64) error {
	c.lastSeq = lastSeq
	return c.write(resumeFrame{Type: "resume", SessionID: c.session, LastSeq: lastSeq})
}

func (c *client) write(v any) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.fail("harness:write_failed")
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// readUntil reads and checks frames until done returns true for one, the
// deadline passes, or the connection ends.
func (c *client) readUntil(deadline time.Time, done func(frame) bool) error {
	_ = c.ws.SetReadDeadline(deadline)
	for {
		kind, data, err := c.ws.ReadMessage()
		received := time.Now()
		if err != nil {
			return c.readError(err)
		}
		if kind != websocket.TextMessage {
			c.t.fail("harness:binary_frame")
			continue
		}
		f, err := decodeServerFrame(data)
		if err != nil {
			c.t.fail("harness:undecodable_frame")
			continue
		}
		c.observe(f, received)
		if done(f) {
			return nil
		}
	}
}

// readError classifies why a read ended and counts it unless the harness
// ended the connection itself.
func (c *client) readError(err error) error {
	if c.stopping.Load() {
		return errStopped
	}
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		c.t.fail("close:" + strconv.Itoa(ce.Code))
	case errors.As(err, &ne) && ne.Timeout():
		c.t.fail("harness:timeout")
	default:
		c.t.fail("harness:connection_lost")
	}
	return fmt.Errorf("read: %w", err)
}

// observe does the bookkeeping and checks for one frame.
func (c *client) observe(f frame, received time.Time) {
	if c.raw {
		if f.Type == "error" {
			c.t.fail("frame:" + boundedCode(f.Code))
		}
		return
	}
	switch f.Type {
	case "message":
		c.onMessage(f)
	case "ai_response":
		c.onDelta(f, received)
	case "resumed":
		if f.SessionID == c.session && f.LastSeq > c.lastSeq {
			// Replay ended short of what the server says exists.
			c.t.lost.Add(f.LastSeq - c.lastSeq)
			c.t.fail("harness:gap")
			c.lastSeq = f.LastSeq
		}
	case "error":
		c.t.fail("frame:" + boundedCode(f.Code))
	}
}

func (c *client) onMessage(f frame) {
	if c.session == "" && f.Sender == "user" && f.ClientMsgID == c.askID {
		c.session = f.SessionID
	}
	if f.SessionID != c.session {
		c.t.fail("harness:foreign_session")
		return
	}
	switch {
	case f.Seq <= c.lastSeq:
		c.t.duplicated.Add(1)
		c.t.fail("harness:duplicate")
		return
	case f.Seq > c.lastSeq+1:
		c.t.lost.Add(f.Seq - c.lastSeq - 1)
		c.t.fail("harness:gap")
	}
	c.lastSeq = f.Seq
	c.t.persisted.Add(1)
	if f.Sender == "user" && f.ClientMsgID == c.askID {
		c.askSeq = f.Seq
	}
	if f.Sender == "ai" {
		c.answeredTo = max(c.answeredTo, f.ReplyTo)
	}
	if c.replied(f) {
		c.answered = true
		c.t.replies.Add(1)
		c.checkReplyText(f.Content)
	}
}

// checkReplyText compares a stored reply with the text streamed for it: on
// an unbroken connection they are equal; across a reconnect, what streamed
// before must be where the stored reply starts.
func (c *client) checkReplyText(content string) {
	streamed := c.streamed.String()
	ok := streamed == content
	if streamed == "" {
		ok = strings.HasPrefix(content, c.carried)
	}
	if !ok {
		c.t.corrupt.Add(1)
		c.t.fail("harness:reply_text_mismatch")
	}
	c.streamed.Reset()
	c.streamID = ""
	c.carried = ""
}

func (c *client) onDelta(f frame, received time.Time) {
	if f.SessionID != c.session {
		return
	}
	if f.ReplyTo <= c.answeredTo {
		// The protocol sends the stored reply after its stream; a delta
		// of a reply already received whole is stale.
		c.t.fail("harness:delta_after_reply")
		return
	}
	if f.Done {
		return
	}
	if f.StreamID != c.streamID {
		c.streamID = f.StreamID
		c.lastTok = 0
		c.streamed.Reset()
	}
	c.streamed.WriteString(f.Delta)
	if !c.gotFirst && !c.sentAt.IsZero() {
		c.gotFirst = true
		c.t.firstToken.Record(received.Sub(c.sentAt))
	}
	if !c.measureTokens {
		return
	}
	n := 0
	parseStamps(f.Delta, func(emitted int64) {
		if emitted <= c.lastTok {
			// The model stamps its tokens in increasing order, so an older
			// one is a token delivered twice.
			c.t.duplicated.Add(1)
			c.t.fail("harness:duplicate_token")
			return
		}
		c.lastTok = emitted
		n++
		c.t.tokenLatency.Record(received.Sub(time.Unix(0, emitted)))
	})
	c.t.tokens.Add(int64(n))
	if n > 1 {
		c.t.merged.Add(1)
	}
}

// drop cuts the connection without a close handshake, as a lost network or
// a killed pod would, keeping what had streamed to check the reply later.
func (c *client) drop() {
	c.carried = c.streamed.String()
	c.streamed.Reset()
	c.streamID = ""
	c.stopping.Store(true)
	_ = c.ws.NetConn().Close()
}

// close ends the connection on purpose; a read in progress returns
// errStopped. It may be called from any goroutine.
func (c *client) close() {
	c.stopping.Store(true)
	if ws := c.live.Load(); ws != nil {
		_ = ws.NetConn().Close()
	}
}

// boundedCode keeps error labels to the documented codes' alphabet and
// length, whatever the server sends.
func boundedCode(code string) string {
	if code == "" || len(code) > 32 || strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "unexpected"
	}
	return code
}
