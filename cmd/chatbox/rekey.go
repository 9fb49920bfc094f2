package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/crypto"
)

// rekey re-encrypts every stored message that is not sealed with
// ENCRYPTION_KEY, opening it with any key of ENCRYPTION_KEYS_OLD. It is
// safe to run while the service is live (each message is replaced by a
// compare-and-swap, and the service never rewrites a stored message) and
// safe to stop at any time: a second run skips what is done, and --after
// skips the sessions a progress line reported finished.
func rekey(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rekey", "rekey [--config FILE] [--data-dir DIR] [--after SESSION_ID]",
		"Re-encrypt every stored message not sealed with ENCRYPTION_KEY, opening it with ENCRYPTION_KEYS_OLD. "+
			"Safe while the service runs, and resumable. Uses the server's settings; never creates a development key.", stderr)
	settings := sharedSettingsFlags(fs)
	after := fs.String("after", "", "resume after this session id (the last one a progress line reported)")
	batch := fs.Int("batch", 200, "sessions per progress line, and messages read per query (1-1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 || *batch > 1000 {
		return errors.New("rekey: --batch must be from 1 to 1000")
	}
	cfg, err := settings.load()
	if err != nil {
		return err
	}
	if len(cfg.Storage.EncryptionKey) == 0 {
		return missingSecret("rekey", "ENCRYPTION_KEY", cfg)
	}
	keys, err := crypto.NewKeyring(cfg.Storage.EncryptionKey, cfg.Storage.EncryptionKeysOld...)
	if err != nil {
		return fmt.Errorf("rekey: ENCRYPTION_KEY, ENCRYPTION_KEYS_OLD: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	target := configuredStorage(cfg)
	store, err := openStore(ctx, target)
	if err != nil {
		return fmt.Errorf("rekey: %s: %w", storageName(target), err)
	}
	defer store.Close()

	fmt.Fprintf(stdout, "rekey: %s: re-encrypting under key %s (%d old keys accepted for reading)\n",
		storageName(target), keys.PrimaryID(), len(cfg.Storage.EncryptionKeysOld))
	r := rekeyer{store: store, keys: keys, batch: *batch, out: stdout, errs: stderr}
	return r.run(ctx, *after)
}

// rekeyStats counts what a rekey run did.
type rekeyStats struct {
	sessions   int
	messages   int
	resealed   int
	current    int // already sealed with the current key
	changed    int // rewritten by someone else between read and swap
	unreadable int // no configured key opens it
}

func (s rekeyStats) String() string {
	return fmt.Sprintf("%d sessions, %d messages: %d re-encrypted, %d already current, %d changed meanwhile, %d unreadable",
		s.sessions, s.messages, s.resealed, s.current, s.changed, s.unreadable)
}

// rekeyer walks the store session by session in ID order.
type rekeyer struct {
	store maintainedStore
	keys  *crypto.Keyring
	batch int
	out   io.Writer // progress lines
	errs  io.Writer // one line per unreadable message
	stats rekeyStats
}

func (r *rekeyer) run(ctx context.Context, after string) error {
	for {
		sessions, err := r.store.ScanSessions(ctx, after, r.batch)
		if err != nil {
			return r.stopped(after, err)
		}
		if len(sessions) == 0 {
			break
		}
		for _, s := range sessions {
			if err := r.session(ctx, s.ID); err != nil {
				return r.stopped(after, err)
			}
			r.stats.sessions++
			after = s.ID
		}
		fmt.Fprintf(r.out, "rekey: %s; resume with --after %s\n", r.stats, after)
	}
	fmt.Fprintf(r.out, "rekey: done: %s\n", r.stats)
	if r.stats.unreadable > 0 {
		return fmt.Errorf("rekey: %d messages could not be opened with any configured key and were left as they are; "+
			"add the key that sealed them to ENCRYPTION_KEYS_OLD and run rekey again", r.stats.unreadable)
	}
	return nil
}

// stopped reports a run cut short, with where to resume.
func (r *rekeyer) stopped(after string, err error) error {
	fmt.Fprintf(r.out, "rekey: stopped: %s; resume with --after %s\n", r.stats, after)
	return fmt.Errorf("rekey: %w", err)
}

// session re-encrypts the messages of one session.
func (r *rekeyer) session(ctx context.Context, id string) error {
	primary := r.keys.PrimaryID()
	for afterSeq := int64(0); ; {
		msgs, err := r.store.ListMessages(ctx, id, afterSeq, r.batch)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		for _, m := range msgs {
			afterSeq = m.Seq
			r.stats.messages++
			if keyID, err := crypto.SealedKeyID(m.Sealed); err == nil && keyID == primary {
				r.stats.current++
				continue
			}
			sealed, err := chat.Reseal(r.keys, m)
			if err != nil {
				// Never shown, never overwritten: reported, and left for a
				// run with the right key.
				r.stats.unreadable++
				fmt.Fprintf(r.errs, "rekey: unreadable: %v\n", err)
				continue
			}
			swapped, err := r.store.ReplaceSealed(ctx, m, sealed)
			if err != nil {
				return err
			}
			if swapped {
				r.stats.resealed++
			} else {
				r.stats.changed++
			}
		}
	}
}
