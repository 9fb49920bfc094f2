package dify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/llm"
)

// reader consumes one streamed answer.
type reader struct {
	p        *Provider
	ctx      context.Context
	convs    chat.ConversationIDs // nil when the caller keeps no ids
	sentConv string               // the conversation id sent, "" for a new one
	user     string
	emit     func(string) error

	out      chat.Completion
	text     strings.Builder
	taskID   string
	reported bool // the conversation id has been reported
}

// read streams the body's events to emit until message_end or a failure.
func (r *reader) read(body io.Reader) (chat.Completion, error) {
	dec := newSSEDecoder(body, maxEvent)
	for {
		raw, err := dec.next()
		if err != nil {
			return r.fail(r.transportError(err))
		}
		if len(raw.data) == 0 {
			continue // ping
		}
		ev, err := parseEvent(raw.data)
		if err != nil {
			return r.fail(err)
		}
		r.track(ev)
		done, err := r.handle(ev)
		if err != nil {
			return r.fail(err)
		}
		if done {
			r.out.Text = r.text.String()
			return r.out, nil
		}
	}
}

// track notes the task id and reports the conversation id the first time
// Dify names one that differs from the id sent.
func (r *reader) track(ev event) {
	if r.taskID == "" {
		r.taskID = ev.TaskID
	}
	if r.reported || r.convs == nil || ev.ConversationID == "" || ev.ConversationID == r.sentConv {
		return
	}
	r.reported = true
	r.convs.SetConversationID(r.p.name, ev.ConversationID)
}

// handle acts on one event and reports whether the answer is complete.
func (r *reader) handle(ev event) (done bool, err error) {
	switch ev.Event {
	case eventMessage, eventAgentMessage:
		return false, r.deliver(ev.Answer)
	case eventMessageReplace:
		if r.text.Len() > 0 {
			return false, ErrReplaced
		}
		return false, r.deliver(ev.Answer)
	case eventMessageEnd:
		u := ev.Metadata.Usage
		r.out.Usage = chat.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
		return true, nil
	case eventError:
		c := code(ev.Code)
		msg := ev.Message
		if msg == "" {
			msg = "no message"
		}
		return false, &llm.Error{
			Backend: "dify", Provider: r.p.name, InStream: true, StatusCode: ev.Status,
			Type: r.p.clean(c), Message: r.p.clean(msg), Retry: retryableCode(c, ev.Status),
		}
	case eventWorkflowFinished:
		if s := ev.Data.Status; s == "failed" || s == "stopped" {
			return false, &llm.Error{
				Backend: "dify", Provider: r.p.name, InStream: true,
				Type: "workflow_" + s, Message: r.p.clean(ev.Data.Error), Retry: s == "failed",
			}
		}
	}
	return false, nil
}

func (r *reader) deliver(answer string) error {
	if answer == "" {
		return nil
	}
	if err := r.emit(answer); err != nil {
		return emitError{err}
	}
	r.text.WriteString(answer)
	return nil
}

// emitError marks the caller's own error from emit, returned unchanged.
type emitError struct{ error }

// fail ends the reply with err and the text emitted so far. When the
// caller abandoned the reply (cancellation, or emit refused a delta),
// Dify is told to stop generating it.
func (r *reader) fail(err error) (chat.Completion, error) {
	r.out.Text = r.text.String()
	var ee emitError
	abandoned := errors.As(err, &ee) || r.ctx.Err() != nil
	if abandoned && r.taskID != "" {
		r.p.stop(r.ctx, r.taskID, r.user)
	}
	if errors.As(err, &ee) {
		return r.out, ee.error
	}
	return r.out, err
}

// transportError turns the end of the body into the stream's error: a
// clean end is a truncation (message_end never came), cancellation is
// ctx's own error, anything else the read error with context.
func (r *reader) transportError(err error) error {
	if ctxErr := r.ctx.Err(); ctxErr != nil {
		return fmt.Errorf("dify: stream: %w", ctxErr)
	}
	if errors.Is(err, io.EOF) {
		return ErrTruncated
	}
	return llm.Redact(fmt.Errorf("dify: stream: %w", err), r.p.apiKey)
}
