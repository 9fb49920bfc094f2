package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// handle processes one client frame. Errors go to this connection only,
// and the connection stays open: bad input costs the client nothing else.
func (c *conn) handle(kind int, data []byte) {
	in, problem := decodeFrame(kind, data)
	if problem != "" {
		c.fail(codeInvalidMessage, problem, "")
		return
	}
	c.srv.metrics.MessagesReceived.WithLabelValues(receivedLabel(in.Type)).Inc()
	switch in.Type {
	case typeUserMessage:
		c.onUserMessage(in)
	case typeResume:
		c.onResume(in)
	case typePing:
		c.send(pongFrame{Type: typePong})
	case typeEndSession:
		c.onEndSession(in)
	case typeModelSelect:
		c.onModelSelect(in)
	case typeHelpRequest:
		c.onHelpRequest(in)
	case typeTyping:
		c.onTyping(in)
	case typeWatch, typeUnwatch, typeTakeover, typeRelease, typeAdminMessage:
		c.onAdmin(in)
	case "":
		c.fail(codeInvalidMessage, "missing field: type", "")
	default:
		c.fail(codeUnknownType, "unknown frame type", "")
	}
}

// decodeFrame parses one client frame, or says what is wrong with it. It
// sees untrusted bytes first, so it is fuzzed (FuzzDecodeFrame).
func decodeFrame(kind int, data []byte) (inbound, string) {
	var in inbound
	if kind != websocket.TextMessage {
		return in, "frames must be JSON text frames"
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD;
	// refuse it instead of storing something the user did not send.
	if !utf8.Valid(data) {
		return in, "frame is not valid UTF-8"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&in); err != nil || dec.More() {
		return inbound{}, "frame must be one JSON object with fields of the documented types"
	}
	return in, ""
}

// receivedLabel bounds the metric's label values to the known types.
func receivedLabel(t string) string {
	switch t {
	case typeUserMessage, typeResume, typePing, typeEndSession, typeModelSelect, typeHelpRequest, typeTyping,
		typeWatch, typeUnwatch, typeTakeover, typeRelease, typeAdminMessage:
		return t
	}
	return "invalid"
}

func (c *conn) onUserMessage(in inbound) {
	if in.ClientMsgID == "" {
		c.fail(codeInvalidMessage, "missing field: client_msg_id", "")
		return
	}
	if in.Content == "" {
		c.fail(codeInvalidMessage, "missing field: content", in.ClientMsgID)
		return
	}
	if ok, wait := c.srv.limits.allowMessage(c.actor.ID, time.Now()); !ok {
		c.send(errorFrame{Type: typeError, Code: codeRateLimited, Recoverable: true,
			Message: "too many messages; retry later", RetryAfterMS: max(wait.Milliseconds(), 1), Ref: in.ClientMsgID})
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	sent, err := c.srv.svc.Send(ctx, c.actor, chat.UserMessage{
		SessionID: in.SessionID, ClientMsgID: in.ClientMsgID, Content: in.Content, ModelID: in.ModelID,
		Attachments: in.Attachments,
	})
	if err != nil {
		c.failErr(err, in.ClientMsgID, in.SessionID)
		return
	}
	c.acknowledge(sent)
}

// acknowledge answers a stored message to its sender and makes the
// connection follow its session.
func (c *conn) acknowledge(sent chat.Sent) {
	already, err := c.join(sent.Message.SessionID)
	if err != nil {
		c.log.Error("join session failed", "session_id", sent.Message.SessionID, "err", err)
	}
	c.enqueue(op{kind: opAck, msg: sent.Message, dup: sent.Duplicate})
	if !already && err == nil {
		c.enqueue(op{kind: opAttach, sessionID: sent.Message.SessionID, afterSeq: sent.Message.Seq})
	}
}

// onResume follows a session and replays it after last_seq. Admins may
// resume (watch) any session; users only their own.
func (c *conn) onResume(in inbound) {
	if in.SessionID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id", "")
		return
	}
	var last int64
	if in.LastSeq != nil {
		last = *in.LastSeq
	}
	if last < 0 {
		c.fail(codeInvalidMessage, "last_seq must not be negative", "")
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	if _, err := c.srv.svc.Session(ctx, c.actor, in.SessionID); err != nil {
		c.failErr(err, "", in.SessionID)
		return
	}
	// Subscribe before reading storage, so nothing committed in between
	// can fall through the gap.
	if _, err := c.join(in.SessionID); err != nil {
		c.failErr(err, "", in.SessionID)
		return
	}
	c.enqueue(op{kind: opAttach, sessionID: in.SessionID, afterSeq: last, reset: true})
}

func (c *conn) onEndSession(in inbound) {
	if in.SessionID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id", "")
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	sess, err := c.srv.svc.EndSession(ctx, c.actor, in.SessionID)
	if err != nil {
		c.failErr(err, "", in.SessionID)
		return
	}
	if !c.follows(in.SessionID) {
		c.send(newSessionStatusFrame(sess))
	}
}

func (c *conn) onModelSelect(in inbound) {
	if in.SessionID == "" || in.ModelID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id and model_id are required", "")
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	sess, err := c.srv.svc.SelectModel(ctx, c.actor, in.SessionID, in.ModelID)
	if err != nil {
		c.failErr(err, "", in.SessionID)
		return
	}
	if !c.follows(in.SessionID) {
		c.send(newSessionStatusFrame(sess))
	}
}

// onHelpRequest asks for a human, optionally with a message that is sent
// first like any user_message.
func (c *conn) onHelpRequest(in inbound) {
	if in.SessionID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id", "")
		return
	}
	if in.Content != "" {
		if in.ClientMsgID == "" {
			c.fail(codeInvalidMessage, "missing field: client_msg_id (required with content)", "")
			return
		}
		c.onUserMessage(inbound{Type: typeUserMessage, SessionID: in.SessionID, ClientMsgID: in.ClientMsgID, Content: in.Content})
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	sess, err := c.srv.svc.RequestHelp(ctx, c.actor, in.SessionID)
	if err != nil {
		c.failErr(err, in.ClientMsgID, in.SessionID)
		return
	}
	if !c.follows(in.SessionID) {
		c.send(newSessionStatusFrame(sess))
	}
}

func (c *conn) onTyping(in inbound) {
	if in.SessionID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id", "")
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	if err := c.srv.svc.Typing(ctx, c.actor, in.SessionID); err != nil {
		c.failErr(err, "", in.SessionID)
	}
}

// onAdmin serves the admin frames. Users get forbidden for each of them.
func (c *conn) onAdmin(in inbound) {
	if !c.actor.Admin {
		c.fail(codeForbidden, in.Type+" needs the admin role", in.ClientMsgID)
		return
	}
	if in.SessionID == "" {
		c.fail(codeInvalidMessage, "missing field: session_id", in.ClientMsgID)
		return
	}
	ctx, cancel := c.requestContext()
	defer cancel()
	var (
		sess chat.Session
		err  error
	)
	switch in.Type {
	case typeWatch:
		c.onResume(in)
		return
	case typeUnwatch:
		c.leaveSession(in.SessionID)
		return
	case typeAdminMessage:
		sent, err := c.srv.svc.AdminSend(ctx, c.actor, chat.AdminMessage{
			SessionID: in.SessionID, ClientMsgID: in.ClientMsgID, Content: in.Content,
		})
		if err != nil {
			c.failErr(err, in.ClientMsgID, in.SessionID)
			return
		}
		c.acknowledge(sent)
		return
	case typeTakeover:
		sess, err = c.srv.svc.Takeover(ctx, c.actor, in.SessionID)
	case typeRelease:
		sess, err = c.srv.svc.Release(ctx, c.actor, in.SessionID)
	}
	if err != nil {
		c.failErr(err, "", in.SessionID)
		return
	}
	if !c.follows(in.SessionID) {
		c.send(newSessionStatusFrame(sess))
	}
}

func (c *conn) follows(sessionID string) bool {
	for _, id := range c.joined {
		if id == sessionID {
			return true
		}
	}
	return false
}

func (c *conn) fail(code, message, ref string) {
	c.send(errorFrame{Type: typeError, Code: code, Message: message, Recoverable: true, Ref: ref})
}

// failErr maps a domain error to an error frame. Storage and other internal
// failures are logged with detail and reported to the client without it.
func (c *conn) failErr(err error, ref, sessionID string) {
	f := errorFrame{Type: typeError, Recoverable: true, Ref: ref, SessionID: sessionID}
	switch {
	case errors.Is(err, chat.ErrTooLarge):
		f.Code, f.Message = codeTooLarge, err.Error()
	case errors.Is(err, chat.ErrAttachment):
		f.Code, f.Message = codeInvalidAttachment, err.Error()
	case errors.Is(err, chat.ErrInvalid):
		f.Code, f.Message = codeInvalidMessage, err.Error()
	case errors.Is(err, chat.ErrNotFound):
		f.Code, f.Message = codeNotFound, "session not found"
	case errors.Is(err, chat.ErrConflict):
		f.Code, f.Message = codeConflict, err.Error()
	case errors.Is(err, chat.ErrForbidden):
		f.Code, f.Message = codeForbidden, "this needs the admin role"
	case errors.Is(err, chat.ErrSessionEnded):
		f.Code, f.Message = codeSessionEnded, "session has ended; start a new one"
	case errors.Is(err, chat.ErrDraining):
		f.Code, f.Message, f.RetryAfterMS = codeUnavailable, "server is restarting; reconnect and retry", 1000
	case errors.Is(err, chat.ErrQuotaExceeded):
		f.Code, f.Message = codeQuotaExceeded, err.Error()
		f.RetryAfterMS = time.Until(chat.BudgetResetsAt(time.Now())).Milliseconds()
	case errors.Is(err, chat.ErrUnavailable):
		f.Code, f.Message = codeLLMUnavailable, "the assistant is unavailable"
	default:
		c.log.Error("request failed", "user_id", c.actor.ID, "session_id", sessionID, "err", err)
		f.Code, f.Message = codeInternal, "internal error; retry"
	}
	c.send(f)
}
