package chat

import (
	"context"
	"fmt"
)

// Maintenance is storage access for the operator's jobs that run beside the
// service: re-encrypting stored messages under a new key (chatbox rekey)
// and copying a database to another adapter (chatbox migrate). Adapters
// implement it next to Repository; the service itself never uses it.
//
// Contract, proven for every adapter by repotest.RunMaintenance:
//   - ScanSessions walks every session exactly once in ascending ID order;
//     a job that stops can resume after the last ID it finished.
//   - ReplaceSealed is a compare-and-swap of one message's content, so a
//     job may run while the service is live: the service never rewrites a
//     stored message, and of two jobs rewriting one message both write a
//     valid value.
//   - Imports are idempotent: importing what is already stored writes
//     nothing, so an interrupted copy is finished by running it again.
//   - Errors: ErrNotFound, ErrInvalid as documented below, wrapped with
//     context; anything else is a storage failure. Methods honour ctx.
type Maintenance interface {
	// ScanSessions returns up to limit sessions whose ID is greater than
	// afterID ("" for the first), in ascending ID order, each as GetSession
	// would return it.
	ScanSessions(ctx context.Context, afterID string, limit int) ([]Session, error)

	// ReplaceSealed sets the content of the stored message m (identified by
	// m.SessionID, m.Seq and m.ID) to sealed if it still equals m.Sealed,
	// and reports whether the message now holds sealed. A message that is
	// missing or holds other content is left alone (false, nil). Nothing
	// else about the message changes.
	ReplaceSealed(ctx context.Context, m SealedMessage, sealed []byte) (bool, error)

	// ImportSession stores s exactly as given (status, times, ownership,
	// LastSeq) unless a session with its ID exists, which is left as it is;
	// created reports which. Import a session before its messages.
	ImportSession(ctx context.Context, s Session) (created bool, err error)

	// ImportMessages stores messages of one imported session exactly as
	// given, seq included, in ascending seq order; each one's predecessor
	// (seq-1) must be stored already or come earlier in msgs. A message
	// already stored under the same ID at the same seq is skipped; inserted
	// counts the others. ErrNotFound when the session does not exist;
	// ErrInvalid for messages of several sessions, out of order, or that
	// clash with a different stored message (same seq or same idempotency
	// key).
	ImportMessages(ctx context.Context, msgs []SealedMessage) (inserted int, err error)
}

// Reseal re-encrypts a stored message's content under sealer's current key,
// bound to the same session and message as before. It fails, and returns
// nothing, when the content does not open with any key of sealer.
func Reseal(sealer Sealer, m SealedMessage) ([]byte, error) {
	ad := additionalData(m.SessionID, m.ID)
	plain, err := sealer.Open(m.Sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("open message %s of session %s: %w", m.ID, m.SessionID, err)
	}
	sealed, err := sealer.Seal(plain, ad)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("seal message %s of session %s: %w", m.ID, m.SessionID, err)
	}
	return sealed, nil
}
