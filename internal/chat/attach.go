package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// checkAttachments verifies, before a user's message is stored, that every
// file it names is the actor's own upload and not yet sent in another
// message. A file already sent in the actor's message with the same
// client_msg_id passes: that is a retry, which must get its original back.
func (s *Service) checkAttachments(ctx context.Context, actor Actor, in UserMessage) error {
	if len(in.Attachments) == 0 {
		return nil
	}
	if s.uploads == nil {
		return fmt.Errorf("%w: %w: file attachments are not enabled", ErrInvalid, ErrAttachment)
	}
	if len(in.Attachments) > MaxAttachments {
		return fmt.Errorf("%w: %w: at most %d attachments per message", ErrInvalid, ErrAttachment, MaxAttachments)
	}
	for i, id := range in.Attachments {
		if id == "" || len(id) > MaxClientMsgIDLen || slices.Contains(in.Attachments[:i], id) {
			return fmt.Errorf("%w: %w: attachment ids must be distinct file ids", ErrInvalid, ErrAttachment)
		}
		rec, err := s.repo.GetUpload(ctx, id)
		if err != nil || rec.OwnerID != actor.ID {
			if err != nil && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("check attachment %s: %w", id, err)
			}
			return fmt.Errorf("%w: %w: no file %s of yours", ErrInvalid, ErrAttachment, id)
		}
		if rec.Attached() && !s.sentWith(ctx, actor, rec, in.ClientMsgID) {
			return fmt.Errorf("%w: %w: file %s was already sent in another message", ErrInvalid, ErrAttachment, id)
		}
	}
	return nil
}

// sentWith reports whether rec is attached to the actor's message with
// clientMsgID, i.e. the send being checked is a retry. Retries with
// attachments are rare, so reading the session's messages is affordable.
func (s *Service) sentWith(ctx context.Context, actor Actor, rec Upload, clientMsgID string) bool {
	const page = 500
	for after := int64(0); ; {
		msgs, err := s.repo.ListMessages(ctx, rec.SessionID, after, page)
		if err != nil || len(msgs) == 0 {
			return false
		}
		for _, m := range msgs {
			if m.ID == rec.MessageID {
				return m.AuthorID == actor.ID && m.ClientMsgID == clientMsgID
			}
		}
		after = msgs[len(msgs)-1].Seq
	}
}

// attach binds the message's files to it, once it is stored, and returns
// the message with their metadata. Binding again to the same message (a
// retry) changes nothing.
func (s *Service) attach(ctx context.Context, actor Actor, m Message, ids []string) (Message, error) {
	if len(ids) == 0 {
		return m, nil
	}
	recs, err := s.repo.AttachUploads(ctx, actor.ID, m.SessionID, m.ID, ids)
	if err != nil {
		return Message{}, fmt.Errorf("attach files to message %s: %w", m.ID, err)
	}
	m.Attachments = make([]Attachment, len(recs))
	for i, r := range recs {
		m.Attachments[i] = r.Attachment()
	}
	return m, nil
}

// withAttachments fills in the attachments of messages of one session.
func (s *Service) withAttachments(ctx context.Context, sessionID string, msgs []Message) ([]Message, error) {
	if s.uploads == nil || len(msgs) == 0 {
		return msgs, nil
	}
	recs, err := s.repo.ListSessionUploads(ctx, sessionID)
	if err != nil {
		return nil, fmt.Errorf("list attachments of session %s: %w", sessionID, err)
	}
	if len(recs) == 0 {
		return msgs, nil
	}
	byMessage := make(map[string][]Attachment, len(recs))
	for _, r := range recs {
		byMessage[r.MessageID] = append(byMessage[r.MessageID], r.Attachment())
	}
	for i := range msgs {
		if a := byMessage[msgs[i].ID]; len(a) > 0 {
			msgs[i].Attachments = a
		}
	}
	return msgs, nil
}
