package loadtest

import (
	"encoding/json"
	"fmt"
)

// frame is every field of a server frame (docs/protocol.md) the harness
// looks at; Type selects which matter.
type frame struct {
	Type        string `json:"type"`
	SessionID   string `json:"session_id"`
	Seq         int64  `json:"seq"`
	ClientMsgID string `json:"client_msg_id"`
	Sender      string `json:"sender"`
	Content     string `json:"content"`
	ReplyTo     int64  `json:"reply_to"`
	StreamID    string `json:"stream_id"`
	Delta       string `json:"delta"`
	Done        bool   `json:"done"`
	LastSeq     int64  `json:"last_seq"`
	Streaming   bool   `json:"streaming"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	Ref         string `json:"ref"`
}

// decodeServerFrame parses one frame from the server under test. The
// server is not trusted to be right: anything that is not one JSON object
// with a type is an error the harness counts.
func decodeServerFrame(data []byte) (frame, error) {
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		return frame{}, fmt.Errorf("decode frame: %w", err)
	}
	if f.Type == "" {
		return frame{}, fmt.Errorf("decode frame: no type")
	}
	return f, nil
}

// Client frames.
type (
	userMessage struct {
		Type        string `json:"type"`
		SessionID   string `json:"session_id,omitempty"`
		ClientMsgID string `json:"client_msg_id"`
		Content     string `json:"content"`
	}
	resumeFrame struct {
		Type      string `json:"type"`
		SessionID string `json:"session_id"`
		LastSeq   int64  `json:"last_seq"`
	}
	watchFrame struct {
		Type      string `json:"type"`
		SessionID string `json:"session_id"`
	}
)
