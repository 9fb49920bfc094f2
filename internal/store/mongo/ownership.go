package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// maxRollForward bounds how many recorded ownership changes one call
// applies to a lagging session document.
const maxRollForward = 64

// ChangeOwner hands an active session to owner if its epoch is still
// expectEpoch. A conditional update alone would decide races on MongoDB,
// which updates one document atomically, but not on servers that do not
// (FerretDB), so the change is first claimed by inserting the ownership
// document of epoch expectEpoch+1: of racing admins, in any number of
// processes, exactly one insert succeeds. The winner then applies its
// change to the session document. If a process dies between the two
// writes, the next change of that session finds the claim taken and
// applies it before reporting the conflict (see rollForward).
func (s *Store) ChangeOwner(ctx context.Context, id string, expectEpoch int64, owner chat.Owner, adminID, adminName string, at time.Time) (chat.Session, error) {
	sess, err := s.changeOwner(ctx, id, expectEpoch, owner, adminID, adminName, at)
	if err != nil {
		return chat.Session{}, fmt.Errorf("mongo: change owner: %w", err)
	}
	return sess, nil
}

func (s *Store) changeOwner(ctx context.Context, id string, expectEpoch int64, owner chat.Owner, adminID, adminName string, at time.Time) (chat.Session, error) {
	if owner != chat.OwnerAI && owner != chat.OwnerHuman {
		return chat.Session{}, fmt.Errorf("owner %q: %w", owner, chat.ErrInvalid)
	}
	if owner != chat.OwnerHuman {
		adminID, adminName = "", ""
	}
	sd, err := s.loadSession(ctx, id)
	if err != nil {
		return chat.Session{}, err
	}
	if sd.Status != string(chat.StatusActive) {
		return chat.Session{}, fmt.Errorf("session %q: %w", id, chat.ErrSessionEnded)
	}
	conflict := fmt.Errorf("session %q is past epoch %d: %w", id, expectEpoch, chat.ErrConflict)
	if sd.Epoch != expectEpoch {
		return chat.Session{}, conflict
	}
	claim := ownershipDoc{
		Key: slotKey(id, expectEpoch+1), SessionID: id, Epoch: expectEpoch + 1,
		Owner: string(owner), AdminID: adminID, AdminName: adminName, At: at,
	}
	own, err := s.claimEpoch(ctx, claim)
	if err != nil {
		return chat.Session{}, err
	}
	if !own {
		if err := s.rollForward(ctx, id); err != nil {
			return chat.Session{}, err
		}
		return chat.Session{}, conflict
	}
	if err := s.applyOwnership(ctx, claim); err != nil {
		return chat.Session{}, err
	}
	return s.currentSession(ctx, id)
}

// claimEpoch inserts claim and reports whether it is this caller's: newly
// inserted, or inserted by an earlier try whose reply was lost.
func (s *Store) claimEpoch(ctx context.Context, claim ownershipDoc) (bool, error) {
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.ownership.InsertOne(ctx, claim)
		return err
	})
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("claim epoch: %w", err)
	}
	var existing ownershipDoc
	if _, err := s.findOne(ctx, s.ownership, bson.D{{Key: "_id", Value: claim.Key}}, &existing); err != nil {
		return false, err
	}
	return existing.Owner == claim.Owner && existing.AdminID == claim.AdminID &&
		existing.AdminName == claim.AdminName && existing.At.Equal(claim.At), nil
}

// applyOwnership writes a claimed change to the session document, if the
// document is still at the epoch before it. Applying a claim twice is
// harmless: the second write finds the epoch moved on, or writes the same
// values.
func (s *Store) applyOwnership(ctx context.Context, c ownershipDoc) error {
	set := bson.D{
		{Key: "owner", Value: c.Owner},
		{Key: "admin_id", Value: c.AdminID},
		{Key: "admin_name", Value: c.AdminName},
		{Key: "epoch", Value: c.Epoch},
	}
	if c.Owner == string(chat.OwnerHuman) {
		// A human answering is what the waiting help request asked for.
		set = append(set, bson.E{Key: "admin_assisted", Value: true}, bson.E{Key: "help_requested_at", Value: nil})
	}
	update := bson.D{
		{Key: "$set", Value: set},
		{Key: "$max", Value: bson.D{{Key: "updated_at", Value: c.At}}},
	}
	err := s.retry.do(ctx, func(ctx context.Context) error {
		_, err := s.sessions.UpdateOne(ctx, bson.D{{Key: "_id", Value: c.SessionID}, {Key: "epoch", Value: c.Epoch - 1}}, update)
		return err
	})
	if err != nil {
		return fmt.Errorf("apply ownership change: %w", err)
	}
	return nil
}

// rollForward applies the recorded ownership changes a session document
// lacks: claims whose writer died before applying them.
func (s *Store) rollForward(ctx context.Context, id string) error {
	for range maxRollForward {
		sd, err := s.loadSession(ctx, id)
		if err != nil {
			return err
		}
		var next ownershipDoc
		found, err := s.findOne(ctx, s.ownership, bson.D{{Key: "_id", Value: slotKey(id, sd.Epoch+1)}}, &next)
		if err != nil || !found {
			return err
		}
		if err := s.applyOwnership(ctx, next); err != nil {
			return err
		}
	}
	return fmt.Errorf("session %q: more than %d ownership changes to catch up on", id, maxRollForward)
}

// RequestHelp marks a waiting help request on an active session, once: a
// request already waiting is kept (changed=false).
func (s *Store) RequestHelp(ctx context.Context, id string, at time.Time) (chat.Session, bool, error) {
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "help_requested_at", Value: at}}},
		{Key: "$max", Value: bson.D{{Key: "updated_at", Value: at}}},
	}
	res, err := s.updateActive(ctx, id, bson.D{{Key: "help_requested_at", Value: nil}}, update)
	if err == nil && !res.matched && res.session.Status != chat.StatusActive {
		err = fmt.Errorf("session %q: %w", id, chat.ErrSessionEnded)
	}
	if err != nil {
		return chat.Session{}, false, fmt.Errorf("mongo: request help: %w", err)
	}
	if !res.matched && res.retried && res.session.HelpRequestedAt.Equal(at) {
		return res.session, true, nil // our own request, its reply lost
	}
	return res.session, res.matched, nil
}
