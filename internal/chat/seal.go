package chat

import (
	"fmt"
)

// additionalData binds a ciphertext to its session and message, so a row
// copied into another session (or swapped with another row) fails to open.
func additionalData(sessionID, messageID string) []byte {
	return []byte(sessionID + "\x00" + messageID)
}

func (s *Service) seal(m Message) (SealedMessage, error) {
	sealed, err := s.sealer.Seal([]byte(m.Content), additionalData(m.SessionID, m.ID))
	if err != nil {
		return SealedMessage{}, fmt.Errorf("seal message %s: %w", m.ID, err)
	}
	return SealedMessage{MessageMeta: m.MessageMeta, Sealed: sealed}, nil
}

// open decrypts a stored message. A failure is an error, never ciphertext
// shown as if it were text.
func (s *Service) open(sm SealedMessage) (Message, error) {
	plain, err := s.sealer.Open(sm.Sealed, additionalData(sm.SessionID, sm.ID))
	if err != nil {
		return Message{}, fmt.Errorf("open message %s of session %s: %w", sm.ID, sm.SessionID, err)
	}
	return Message{MessageMeta: sm.MessageMeta, Content: string(plain)}, nil
}

func (s *Service) openAll(sms []SealedMessage) ([]Message, error) {
	out := make([]Message, 0, len(sms))
	for _, sm := range sms {
		m, err := s.open(sm)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
