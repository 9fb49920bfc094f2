package ws

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/chat"
)

const (
	writeWait    = 10 * time.Second
	closeWait    = 2 * time.Second
	maxJoined    = 100 // sessions one connection follows at once
	requestLimit = 15 * time.Second
)

type opKind uint8

const (
	opFrame  opKind = iota // write frame as is
	opEvent                // a bus event, filtered by the session's view
	opAck                  // the sender's own message, answered directly
	opAttach               // replay a session after a seq, then its live stream
	opDetach               // forget a session's view
	opClose                // close the connection with code and reason
	opPing                 // send a WebSocket ping control frame
)

type op struct {
	kind      opKind
	frame     any
	event     chat.Event
	msg       chat.Message
	dup       bool // opAck: answers a retried client_msg_id
	reset     bool // opAttach: a resume, trusting the client's last_seq
	sessionID string
	afterSeq  int64
	code      int
	reason    string
}

// conn is one WebSocket connection. The reader goroutine handles client
// frames strictly in order. Everything written goes through a bounded
// queue, drained by a writer goroutine that exists only while the queue is
// not empty; at most one runs at a time, and it owns the socket's write
// side and every session view (what this client has been sent), so
// delivery state needs no lock. A client that lets the queue fill up is
// disconnected and resumes by seq, rather than silently losing frames.
//
// An idle connection therefore costs one parked goroutine with a small
// stack (the reader; frames are handled on short-lived goroutines, see
// handleOffStack), two timers (ping and token expiry) and its buffers:
// docs/BENCHMARKS.md has the measurements behind this shape.
type conn struct {
	srv   *Server
	ws    *websocket.Conn
	actor chat.Actor
	log   *slog.Logger

	mu      sync.Mutex
	queue   []op
	closing bool
	writing bool        // a writer goroutine owns the queue's draining
	ping    *time.Timer // fires every PingInterval to queue a ping
	expiry  *time.Timer // fires when the token expires

	// reader-owned
	joined []string

	// writer-owned: handed from one writer to the next under mu
	views map[string]*view
}

func newConn(srv *Server, ws *websocket.Conn, actor chat.Actor, log *slog.Logger) *conn {
	return &conn{srv: srv, ws: ws, actor: actor, log: log}
}

// startTimers arms the ping and token-expiry timers; finish stops them.
// They are set under mu because their callbacks read them under mu.
func (c *conn) startTimers(expiresAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ping = time.AfterFunc(c.srv.opts.PingInterval, c.pingDue)
	// A token is only good until it expires, also on an open socket.
	c.expiry = time.AfterFunc(time.Until(expiresAt), func() {
		c.enqueue(op{kind: opClose, code: closeTokenExpired, reason: "token expired"})
	})
}

// pingDue queues a ping and re-arms the timer. A timer instead of a ticker
// in a goroutine of its own keeps idle connections goroutine-free.
func (c *conn) pingDue() {
	c.enqueue(op{kind: opPing})
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing {
		c.ping.Reset(c.srv.opts.PingInterval)
	}
}

// enqueue hands an op to the writer. It never blocks: a full queue closes
// the connection (1013 try again later) and the client resumes elsewhere.
func (c *conn) enqueue(o op) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.srv.opts.SendQueue && o.kind != opClose {
		c.closing = true
		c.queue = nil
		c.mu.Unlock()
		c.srv.metrics.SlowConsumers.Inc()
		c.log.Warn("closing slow websocket consumer", "user_id", c.actor.ID)
		c.abort(websocket.CloseTryAgainLater, "slow consumer: resume by seq")
		return
	}
	if o.kind == opClose {
		c.closing = true
	}
	c.queue = append(c.queue, o)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

func (c *conn) send(frame any) { c.enqueue(op{kind: opFrame, frame: frame}) }

// abort closes the socket at once from any goroutine; the reader then exits
// and cleans up.
func (c *conn) abort(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	_ = c.ws.Close()
}

// writeLoop drains the queue and exits once it is empty; enqueue starts
// the next one. Once closing is set, enqueue accepts nothing more, so no
// writer starts after the connection closes or a write fails.
func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		ops := c.queue
		c.queue = nil
		if len(ops) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		for _, o := range ops {
			if err := c.apply(o); err != nil {
				c.mu.Lock()
				c.closing = true
				c.queue = nil
				c.mu.Unlock()
				if errors.Is(err, errClosed) {
					return // the reader finishes the close handshake
				}
				c.log.Debug("websocket write failed", "user_id", c.actor.ID, "err", err)
				_ = c.ws.Close()
				return
			}
		}
	}
}

var errClosed = errors.New("connection closed")

func (c *conn) apply(o op) error {
	switch o.kind {
	case opFrame:
		return c.write(o.frame)
	case opEvent:
		return c.deliverEvent(o.event)
	case opAck:
		return c.deliverAck(o.msg, o.dup)
	case opAttach:
		return c.attach(o.sessionID, o.afterSeq, o.reset)
	case opDetach:
		delete(c.views, o.sessionID)
		return nil
	case opClose:
		msg := websocket.FormatCloseMessage(o.code, o.reason)
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait))
		// Give the client a moment to answer the close handshake; the
		// reader exits on its reply or on this deadline.
		_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
		return errClosed
	case opPing:
		return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
	}
	return nil
}

// write sends one frame. Frames are small JSON objects, so marshalling into
// one buffer and one WriteMessage beats streaming through NextWriter.
func (c *conn) write(frame any) error {
	data, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return err
	}
	c.srv.metrics.MessagesSent.WithLabelValues(frameType(frame)).Inc()
	return nil
}

func frameType(frame any) string {
	switch f := frame.(type) {
	case messageFrame:
		return f.Type
	case aiResponseFrame:
		return f.Type
	case errorFrame:
		return f.Type
	case sessionStatusFrame:
		return f.Type
	case pongFrame:
		return f.Type
	case resumedFrame:
		return f.Type
	case connectionStatusFrame:
		return f.Type
	case typingFrame:
		return f.Type
	case adminFeedFrame:
		return f.Type
	}
	return "other"
}

// readLoop serves the connection until it closes, then cleans up.
func (c *conn) readLoop() {
	defer c.finish()
	c.ws.SetReadLimit(c.srv.opts.MaxMessageBytes)
	deadline := func() { _ = c.ws.SetReadDeadline(time.Now().Add(2 * c.srv.opts.PingInterval)) }
	deadline()
	c.ws.SetPongHandler(func(string) error {
		if !c.isClosing() {
			deadline()
		}
		return nil
	})
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !c.isClosing() {
			deadline()
		}
		c.handleOffStack(kind, data)
	}
}

// handleOffStack handles one frame on a short-lived goroutine and waits
// for it, so frames stay strictly ordered. Handling goes deep (storage,
// encryption, the bus) and grows a goroutine's stack to tens of KiB; the
// reader lives as long as the connection and would keep that stack while
// idle, until enough GC cycles shrink it. A goroutine per client frame is
// cheap next to what handling the frame costs.
func (c *conn) handleOffStack(kind int, data []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.handle(kind, data)
	}()
	<-done
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// finish releases everything the connection holds, exactly once, from the
// reader goroutine.
func (c *conn) finish() {
	c.mu.Lock()
	c.closing = true
	c.queue = nil
	ping, expiry := c.ping, c.expiry
	c.mu.Unlock()
	for _, t := range []*time.Timer{ping, expiry} {
		if t != nil {
			t.Stop()
		}
	}
	_ = c.ws.Close()
	for _, id := range c.joined {
		c.srv.hub.leave(id, c)
	}
	if c.actor.Admin {
		c.srv.hub.leave(chat.AdminFeed, c)
	}
	c.srv.forget(c)
}

// leaveSession stops following a session (an admin's unwatch).
func (c *conn) leaveSession(sessionID string) {
	for i, id := range c.joined {
		if id == sessionID {
			c.joined = append(c.joined[:i], c.joined[i+1:]...)
			c.srv.hub.leave(sessionID, c)
			c.enqueue(op{kind: opDetach, sessionID: sessionID})
			return
		}
	}
}

// join makes the connection follow a session. It reports whether the
// connection was already following it.
func (c *conn) join(sessionID string) (already bool, err error) {
	for _, id := range c.joined {
		if id == sessionID {
			return true, nil
		}
	}
	if err := c.srv.hub.join(sessionID, c); err != nil {
		return false, err
	}
	c.joined = append(c.joined, sessionID)
	if len(c.joined) > maxJoined {
		// Follow the most recent sessions only; the client resumes an old
		// one when it shows it again.
		oldest := c.joined[0]
		c.joined = c.joined[1:]
		c.srv.hub.leave(oldest, c)
		c.enqueue(op{kind: opDetach, sessionID: oldest})
	}
	return false, nil
}

func (c *conn) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), requestLimit)
}
