package bus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// wireVersion identifies the event encoding. Adding optional fields keeps
// the version (decoders ignore unknown fields); any change an older decoder
// would misread bumps it, so during a rolling upgrade old instances skip
// events they cannot read instead of misinterpreting them, and the chat
// layer fills the gap from storage.
const wireVersion = 1

// The wire types own their JSON names, so renaming a field in package chat
// cannot silently change the format other instances read.

type wireEvent struct {
	Version   int          `json:"v"`
	Type      string       `json:"type"`
	SessionID string       `json:"session_id"`
	Message   *wireMessage `json:"message,omitempty"`
	Delta     *wireDelta   `json:"delta,omitempty"`
	Session   *wireSession `json:"session,omitempty"`
	Barrier   string       `json:"barrier,omitempty"`
	Feed      string       `json:"feed,omitempty"`
	Typing    *wireTyping  `json:"typing,omitempty"`
}

type wireTyping struct {
	Sender   string `json:"sender"`
	Name     string `json:"name"`
	AuthorID string `json:"author_id,omitempty"`
}

type wireMessage struct {
	ID          string    `json:"id"`
	SessionID   string    `json:"session_id"`
	Seq         int64     `json:"seq"`
	ClientMsgID string    `json:"client_msg_id,omitempty"`
	AuthorID    string    `json:"author_id,omitempty"`
	Sender      string    `json:"sender"`
	SenderName  string    `json:"sender_name,omitempty"`
	ReplyTo     int64     `json:"reply_to,omitempty"`
	ModelID     string    `json:"model_id,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`
	TokensIn    int       `json:"tokens_in,omitempty"`
	TokensOut   int       `json:"tokens_out,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	Content     string    `json:"content"`
	// Attachments is optional: older decoders ignore it and clients then
	// read the attachments from storage.
	Attachments []wireAttachment `json:"attachments,omitempty"`
}

type wireAttachment struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

type wireDelta struct {
	StreamID string `json:"stream_id"`
	ReplyTo  int64  `json:"reply_to,omitempty"`
	Index    int    `json:"index"`
	Text     string `json:"text"`
	Done     bool   `json:"done,omitempty"`
	Error    string `json:"error,omitempty"`
}

type wireSession struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	UserName  string    `json:"user_name,omitempty"`
	ModelID   string    `json:"model_id,omitempty"`
	Status    string    `json:"status"`
	EndReason string    `json:"end_reason,omitempty"`
	LastSeq   int64     `json:"last_seq"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`

	Owner           string    `json:"owner,omitempty"`
	AdminID         string    `json:"admin_id,omitempty"`
	AdminName       string    `json:"admin_name,omitempty"`
	Epoch           int64     `json:"epoch,omitempty"`
	HelpRequestedAt time.Time `json:"help_requested_at,omitzero"`
	AdminAssisted   bool      `json:"admin_assisted,omitempty"`
	// The service publishes sessions with the title opened; a sealed one
	// is carried only so the codec loses no field.
	Title       string `json:"title,omitempty"`
	SealedTitle []byte `json:"sealed_title,omitempty"`
}

// encodeEvent returns the wire form of ev. Times keep nanoseconds and their
// offset (RFC 3339); the domain only uses UTC milliseconds anyway.
func encodeEvent(ev chat.Event) ([]byte, error) {
	w := wireEvent{Version: wireVersion, Type: string(ev.Type), SessionID: ev.SessionID, Barrier: ev.Barrier, Feed: ev.Feed}
	if t := ev.Typing; t != nil {
		w.Typing = &wireTyping{Sender: string(t.Sender), Name: t.Name, AuthorID: t.AuthorID}
	}
	if m := ev.Message; m != nil {
		w.Message = &wireMessage{
			ID: m.ID, SessionID: m.SessionID, Seq: m.Seq, ClientMsgID: m.ClientMsgID,
			AuthorID: m.AuthorID, Sender: string(m.Sender), SenderName: m.SenderName,
			ReplyTo: m.ReplyTo, ModelID: m.ModelID, Interrupted: m.Interrupted,
			TokensIn: m.TokensIn, TokensOut: m.TokensOut, CreatedAt: m.CreatedAt,
			Content: m.Content,
		}
		for _, a := range m.Attachments {
			w.Message.Attachments = append(w.Message.Attachments, wireAttachment{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType})
		}
	}
	if d := ev.Delta; d != nil {
		w.Delta = &wireDelta{
			StreamID: d.StreamID, ReplyTo: d.ReplyTo, Index: d.Index, Text: d.Text, Done: d.Done, Error: d.Error,
		}
	}
	if s := ev.Session; s != nil {
		w.Session = &wireSession{
			ID: s.ID, UserID: s.UserID, UserName: s.UserName, ModelID: s.ModelID,
			Status: string(s.Status), EndReason: s.EndReason, LastSeq: s.LastSeq,
			CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, EndedAt: s.EndedAt,
			Owner: string(s.Owner), AdminID: s.AdminID, AdminName: s.AdminName, Epoch: s.Epoch,
			HelpRequestedAt: s.HelpRequestedAt, AdminAssisted: s.AdminAssisted,
			Title: s.Title, SealedTitle: s.SealedTitle,
		}
	}
	data, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("bus: encode %s event: %w", ev.Type, err)
	}
	return data, nil
}

// decodeEvent parses an event published by encodeEvent. It rejects other
// format versions and events whose type or session id could not have been
// published, since those come from a bug or a foreign publisher.
func decodeEvent(data []byte) (chat.Event, error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return chat.Event{}, fmt.Errorf("bus: decode event: %w", err)
	}
	if w.Version != wireVersion {
		return chat.Event{}, fmt.Errorf("bus: decode event: format version %d, this build reads %d", w.Version, wireVersion)
	}
	if w.Type == "" {
		return chat.Event{}, fmt.Errorf("bus: decode event: missing type")
	}
	if err := validSessionID(w.SessionID); err != nil {
		return chat.Event{}, fmt.Errorf("bus: decode event: %w", err)
	}

	ev := chat.Event{Type: chat.EventType(w.Type), SessionID: w.SessionID, Barrier: w.Barrier, Feed: w.Feed}
	if t := w.Typing; t != nil {
		ev.Typing = &chat.Typing{Sender: chat.Sender(t.Sender), Name: t.Name, AuthorID: t.AuthorID}
	}
	if m := w.Message; m != nil {
		ev.Message = &chat.Message{
			MessageMeta: chat.MessageMeta{
				ID: m.ID, SessionID: m.SessionID, Seq: m.Seq, ClientMsgID: m.ClientMsgID,
				AuthorID: m.AuthorID, Sender: chat.Sender(m.Sender), SenderName: m.SenderName,
				ReplyTo: m.ReplyTo, ModelID: m.ModelID, Interrupted: m.Interrupted,
				TokensIn: m.TokensIn, TokensOut: m.TokensOut, CreatedAt: m.CreatedAt,
			},
			Content: m.Content,
		}
		for _, a := range m.Attachments {
			ev.Message.Attachments = append(ev.Message.Attachments, chat.Attachment{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType})
		}
	}
	if d := w.Delta; d != nil {
		ev.Delta = &chat.Delta{
			StreamID: d.StreamID, ReplyTo: d.ReplyTo, Index: d.Index, Text: d.Text, Done: d.Done, Error: d.Error,
		}
	}
	if s := w.Session; s != nil {
		ev.Session = &chat.Session{
			ID: s.ID, UserID: s.UserID, UserName: s.UserName, ModelID: s.ModelID,
			Status: chat.SessionStatus(s.Status), EndReason: s.EndReason, LastSeq: s.LastSeq,
			CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, EndedAt: s.EndedAt,
			Owner: chat.Owner(s.Owner), AdminID: s.AdminID, AdminName: s.AdminName, Epoch: s.Epoch,
			HelpRequestedAt: s.HelpRequestedAt, AdminAssisted: s.AdminAssisted,
			Title: s.Title, SealedTitle: s.SealedTitle,
		}
	}
	return ev, nil
}
