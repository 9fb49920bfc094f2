// Package wire holds the JSON shapes Chatbox shows clients, shared by the
// WebSocket protocol and the REST API so both always agree
// (docs/protocol.md documents them).
package wire

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// Message is a stored message as clients see it.
type Message struct {
	SessionID   string    `json:"session_id"`
	Seq         int64     `json:"seq"`
	ID          string    `json:"id"`
	ClientMsgID string    `json:"client_msg_id,omitempty"`
	Sender      string    `json:"sender"`
	SenderName  string    `json:"sender_name,omitempty"`
	Content     string    `json:"content"`
	CreatedAt   time.Time `json:"created_at"`
	ReplyTo     int64     `json:"reply_to,omitempty"`
	ModelID     string    `json:"model_id,omitempty"`
	Interrupted bool      `json:"interrupted,omitempty"`
	// Attachments are the files sent with a user message; fetch each from
	// GET /chat/uploads/{file_id}.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file sent with a message.
type Attachment struct {
	FileID      string `json:"file_id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// FromMessage converts a domain message.
func FromMessage(m chat.Message) Message {
	out := Message{
		SessionID: m.SessionID, Seq: m.Seq, ID: m.ID, ClientMsgID: m.ClientMsgID,
		Sender: string(m.Sender), SenderName: m.SenderName, Content: m.Content,
		CreatedAt: m.CreatedAt, ReplyTo: m.ReplyTo, ModelID: m.ModelID, Interrupted: m.Interrupted,
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, Attachment{FileID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType})
	}
	return out
}

// Session is a session as clients see it.
type Session struct {
	SessionID string     `json:"session_id"`
	Title     string     `json:"title,omitempty"`
	UserID    string     `json:"user_id"`
	ModelID   string     `json:"model_id"`
	Status    string     `json:"status"`
	LastSeq   int64      `json:"last_seq"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	EndReason string     `json:"end_reason,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`

	Owner           string     `json:"owner"` // "ai" or "human"
	AdminID         string     `json:"admin_id,omitempty"`
	AdminName       string     `json:"admin_name,omitempty"`
	Epoch           int64      `json:"epoch"`
	HelpRequested   bool       `json:"help_requested"`
	HelpRequestedAt *time.Time `json:"help_requested_at,omitempty"`
	AdminAssisted   bool       `json:"admin_assisted"`
}

// FromSession converts a domain session.
func FromSession(s chat.Session) Session {
	out := Session{
		SessionID: s.ID, Title: s.Title, UserID: s.UserID, ModelID: s.ModelID, Status: string(s.Status),
		LastSeq: s.LastSeq, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, EndReason: s.EndReason,
	}
	if !s.EndedAt.IsZero() {
		t := s.EndedAt
		out.EndedAt = &t
	}
	out.Owner, out.AdminID, out.AdminName, out.Epoch = string(s.Owner), s.AdminID, s.AdminName, s.Epoch
	if out.Owner == "" {
		out.Owner = string(chat.OwnerAI)
	}
	if !s.HelpRequestedAt.IsZero() {
		t := s.HelpRequestedAt
		out.HelpRequested, out.HelpRequestedAt = true, &t
	}
	out.AdminAssisted = s.AdminAssisted
	return out
}

// ErrorBody is the JSON body of every HTTP error: {"error": {"code", "message"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteJSON writes v as a JSON response with the given status. nosniff
// keeps a browser from reading a JSON body that echoes client text as
// HTML or script.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes the standard JSON error body.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}
