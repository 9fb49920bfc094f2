package ws

import (
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// replayPage is how many stored messages one storage read returns.
const replayPage = 200

// view is what one connection has been sent of one session. Only the
// writer goroutine touches views.
type view struct {
	lastSeq  int64 // highest seq delivered
	answered int64 // highest user seq a delivered ai message replied to
	stream   streamView
}

// sawMessage records a delivered message. Once a reply is delivered as a
// stored message, its stream is over for this connection: deltas of it
// still in flight on the bus are stale, not the start of a new reply.
func (v *view) sawMessage(m chat.Message) {
	v.lastSeq = m.Seq
	if m.Sender == chat.SenderAI {
		v.stream = streamView{}
		v.answered = max(v.answered, m.ReplyTo)
	}
}

// stale reports whether a stream replying to user seq replyTo has already
// been delivered as a stored message.
func (v *view) stale(replyTo int64) bool {
	return replyTo > 0 && replyTo <= v.answered
}

// streamView tracks the reply being streamed to this connection.
type streamView struct {
	id   string
	next int // index of the next delta expected
	sent int // bytes of text delivered
}

func (c *conn) viewOf(sessionID string) *view {
	if c.views == nil {
		c.views = make(map[string]*view)
	}
	v := c.views[sessionID]
	if v == nil {
		v = &view{}
		c.views[sessionID] = v
	}
	return v
}

// deliverEvent applies one bus event to the session's view: messages are
// delivered once each in seq order (gaps are filled from storage), deltas
// once each in index order (gaps are filled from the stream's snapshot).
func (c *conn) deliverEvent(ev chat.Event) error {
	switch ev.Type {
	case chat.EventFeed:
		if ev.Session == nil {
			return nil
		}
		return c.write(adminFeedFrame{Type: typeAdminFeed, Event: ev.Feed, Session: wire.FromSession(*ev.Session)})
	case chat.EventTyping:
		if ev.Typing == nil || ev.Typing.AuthorID == c.actor.ID {
			return nil // relayed to the others only (docs/protocol.md), not echoed to the typist
		}
		return c.write(typingFrame{Type: typeTyping, SessionID: ev.SessionID, Sender: string(ev.Typing.Sender), Name: ev.Typing.Name})
	}
	v := c.views[ev.SessionID]
	if v == nil {
		return nil // not attached yet: the attach replays from storage
	}
	switch ev.Type {
	case chat.EventMessage:
		if ev.Message == nil {
			return nil
		}
		return c.deliverMessage(v, *ev.Message)
	case chat.EventDelta:
		if ev.Delta == nil {
			return nil
		}
		return c.deliverDelta(v, ev.SessionID, *ev.Delta)
	case chat.EventStatus:
		if ev.Session == nil {
			return nil
		}
		return c.write(newSessionStatusFrame(*ev.Session))
	}
	return nil
}

// deliverAck answers the sender of a user message. A message that the bus
// already delivered is not sent again, except to answer a retry (dup): the
// retrying client is waiting for exactly this frame.
func (c *conn) deliverAck(m chat.Message, dup bool) error {
	v := c.viewOf(m.SessionID)
	if dup && m.Seq <= v.lastSeq {
		return c.write(newMessageFrame(m))
	}
	if v.lastSeq == 0 {
		// First contact with this session on this connection: start the
		// view just before the acknowledged message. Events that came
		// before it found no view; the attach queued right after this ack
		// replays them from storage and the stream's snapshot.
		v.lastSeq = m.Seq - 1
	}
	return c.deliverMessage(v, m)
}

func (c *conn) deliverMessage(v *view, m chat.Message) error {
	if m.Seq <= v.lastSeq {
		return nil
	}
	if m.Seq > v.lastSeq+1 {
		if err := c.replay(v, m.SessionID, m.Seq-1); err != nil {
			return err
		}
	}
	if m.Seq <= v.lastSeq {
		return nil
	}
	v.sawMessage(m)
	return c.write(newMessageFrame(m))
}

func (c *conn) deliverDelta(v *view, sessionID string, d chat.Delta) error {
	if d.Done {
		known := v.stream.id == d.StreamID
		if known {
			v.stream = streamView{}
			if err := c.write(aiResponseFrame{Type: typeAIResponse, SessionID: sessionID,
				ReplyTo: d.ReplyTo, StreamID: d.StreamID, Done: true}); err != nil {
				return err
			}
		}
		if d.Error != "" {
			return c.write(errorFrame{Type: typeError, Code: codeLLMUnavailable, Message: d.Error,
				Recoverable: true, SessionID: sessionID})
		}
		return nil
	}
	if v.stale(d.ReplyTo) {
		return nil
	}
	s := &v.stream
	switch {
	case s.id != d.StreamID && d.Index == 0:
		*s = streamView{id: d.StreamID}
	case s.id == d.StreamID && d.Index < s.next:
		return nil // already delivered, e.g. inside a snapshot
	case s.id != d.StreamID || d.Index > s.next:
		// Joined mid-stream or the bus lost a delta: catch up from the
		// snapshot, which already contains this delta.
		return c.catchUpStream(v, sessionID, d.StreamID)
	}
	s.next = d.Index + 1
	s.sent += len(d.Text)
	return c.write(aiResponseFrame{Type: typeAIResponse, SessionID: sessionID,
		ReplyTo: d.ReplyTo, StreamID: d.StreamID, Delta: d.Text})
}

// catchUpStream sends the part of the session's streaming reply this
// connection has not seen, as one delta. With streamID set it only catches
// up on that stream.
func (c *conn) catchUpStream(v *view, sessionID, streamID string) error {
	ctx, cancel := c.requestContext()
	defer cancel()
	snap, ok := c.srv.svc.Snapshot(ctx, sessionID)
	if !ok || (streamID != "" && snap.StreamID != streamID) || snap.ReplyTo <= 0 || v.stale(snap.ReplyTo) {
		return nil
	}
	if v.stream.id != snap.StreamID {
		v.stream = streamView{id: snap.StreamID}
	}
	s := &v.stream
	missing := ""
	if s.sent < len(snap.Text) {
		missing = snap.Text[s.sent:]
	}
	s.next = max(s.next, snap.Deltas)
	s.sent = max(s.sent, len(snap.Text))
	if missing == "" {
		return nil
	}
	return c.write(aiResponseFrame{Type: typeAIResponse, SessionID: sessionID,
		ReplyTo: snap.ReplyTo, StreamID: snap.StreamID, Delta: missing})
}

// attach (re)starts delivery of a session after afterSeq: stored messages
// first, then the reply streaming now, then a resumed frame. The connection
// joined the session's bus topic before this op was queued, so events
// published meanwhile wait in the queue behind it and are deduplicated by
// seq and delta index.
//
// A resume (reset) trusts the client's last_seq, even if this connection
// sent more; otherwise delivery only moves forward.
func (c *conn) attach(sessionID string, afterSeq int64, reset bool) error {
	v := c.viewOf(sessionID)
	if reset {
		v.lastSeq = afterSeq
		v.stream = streamView{}
	} else {
		v.lastSeq = max(v.lastSeq, afterSeq)
	}
	if err := c.replay(v, sessionID, 0); err != nil {
		return err
	}
	if err := c.catchUpStream(v, sessionID, ""); err != nil {
		return err
	}
	return c.write(resumedFrame{Type: typeResumed, SessionID: sessionID, LastSeq: v.lastSeq,
		Streaming: v.stream.id != ""})
}

// replay sends stored messages after v.lastSeq, up to and including until
// (0: all of them).
func (c *conn) replay(v *view, sessionID string, until int64) error {
	ctx, cancel := c.requestContext()
	defer cancel()
	for {
		msgs, err := c.srv.svc.Messages(ctx, c.actor, sessionID, v.lastSeq, replayPage)
		if err != nil {
			c.log.Warn("replay from storage failed", "session_id", sessionID, "err", err)
			return c.write(errorFrame{Type: typeError, Code: codeInternal, Recoverable: true,
				Message: "could not load the conversation; resume again", SessionID: sessionID})
		}
		for _, m := range msgs {
			if until > 0 && m.Seq > until {
				return nil
			}
			v.sawMessage(m)
			if err := c.write(newMessageFrame(m)); err != nil {
				return err
			}
		}
		if len(msgs) < replayPage || (until > 0 && v.lastSeq >= until) {
			return nil
		}
	}
}
