package notify

import (
	"encoding/json"
	"fmt"
	"time"
)

// Sealer encrypts what the outbox stores: the event quotes the user's last
// message, which must be as protected at rest as the message itself. The
// crypto package's Keyring implements it.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(sealed, additionalData []byte) ([]byte, error)
}

// storedEvent is the JSON form of an Event inside a sealed payload.
type storedEvent struct {
	Type        EventType `json:"type"`
	Key         string    `json:"key"`
	SessionID   string    `json:"session_id,omitempty"`
	UserID      string    `json:"user_id,omitempty"`
	UserName    string    `json:"user_name,omitempty"`
	LastMessage string    `json:"last_message,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	At          time.Time `json:"at"`
}

// payloadAD binds a payload to its row, so a payload copied to another row
// fails to open.
func payloadAD(id string) []byte { return []byte("notification\x00" + id) }

// sealEvent encrypts e for the outbox row id.
func sealEvent(s Sealer, id string, e Event) ([]byte, error) {
	plain, err := json.Marshal(storedEvent(e))
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	sealed, err := s.Seal(plain, payloadAD(id))
	if err != nil {
		return nil, fmt.Errorf("seal event: %w", err)
	}
	return sealed, nil
}

// openEvent decrypts the payload of row id.
func openEvent(s Sealer, id string, sealed []byte) (Event, error) {
	plain, err := s.Open(sealed, payloadAD(id))
	if err != nil {
		return Event{}, fmt.Errorf("open payload: %w", err)
	}
	var se storedEvent
	if err := json.Unmarshal(plain, &se); err != nil {
		return Event{}, fmt.Errorf("decode payload: %w", err)
	}
	return Event(se), nil
}
