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
)

// migrate copies every session and message from one storage adapter to
// another, as stored: ids, seqs, times, state and sealed content (the
// content stays encrypted; the same ENCRYPTION_KEY reads it on the other
// side). It is idempotent and resumable: what the target holds already is
// skipped, so a run that stopped is finished by running it again.
//
// Run it with the service stopped, or run it once more after stopping the
// service: messages stored meanwhile are copied by the next run, but a
// session copied before it ended (or changed model or owner) keeps the
// state it had when it was copied.
func migrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "migrate --from URL --to URL [--batch N]",
		"Copy every session and message from one storage adapter to another, as stored (content stays encrypted). "+
			"Idempotent and resumable: run it again to finish.", stderr)
	from := fs.String("from", "", "source storage: sqlite://PATH or mongodb://HOST/DATABASE")
	to := fs.String("to", "", "target storage: sqlite://PATH or mongodb://HOST/DATABASE")
	batch := fs.Int("batch", 200, "sessions per progress line, and messages copied per write (1-1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *from == "" || *to == "":
		return errors.New("migrate: --from and --to are required, e.g. --from sqlite://data/chatbox.db --to mongodb://mongo:27017/chat")
	case *from == *to:
		return errors.New("migrate: --from and --to name the same storage")
	case *batch < 1 || *batch > 1000:
		return errors.New("migrate: --batch must be from 1 to 1000")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	src, err := openStore(ctx, *from)
	if err != nil {
		return fmt.Errorf("migrate: --from %s: %w", storageName(*from), err)
	}
	defer src.Close()
	dst, err := openStore(ctx, *to)
	if err != nil {
		return fmt.Errorf("migrate: --to %s: %w", storageName(*to), err)
	}
	defer dst.Close()

	fmt.Fprintf(stdout, "migrate: copying %s to %s\n", storageName(*from), storageName(*to))
	m := migrator{src: src, dst: dst, batch: *batch, out: stdout}
	return m.run(ctx)
}

// migrateStats counts what a migrate run did.
type migrateStats struct {
	sessions int // sessions seen
	copied   int // sessions whose messages were (re)copied
	complete int // sessions the target held entirely already
	messages int // messages written to the target
}

func (s migrateStats) String() string {
	return fmt.Sprintf("%d sessions (%d copied, %d already complete), %d messages copied",
		s.sessions, s.copied, s.complete, s.messages)
}

// migrator copies session by session in ID order.
type migrator struct {
	src, dst maintainedStore
	batch    int
	out      io.Writer
	stats    migrateStats
}

func (m *migrator) run(ctx context.Context) error {
	after := ""
	for {
		sessions, err := m.src.ScanSessions(ctx, after, m.batch)
		if err != nil {
			return m.stopped(err)
		}
		if len(sessions) == 0 {
			break
		}
		for _, s := range sessions {
			if err := m.session(ctx, s); err != nil {
				return m.stopped(fmt.Errorf("session %s: %w", s.ID, err))
			}
			after = s.ID
		}
		fmt.Fprintf(m.out, "migrate: %s; last session %s\n", m.stats, after)
	}
	fmt.Fprintf(m.out, "migrate: done: %s\n", m.stats)
	return nil
}

func (m *migrator) stopped(err error) error {
	fmt.Fprintf(m.out, "migrate: stopped: %s; run the same command again to finish\n", m.stats)
	return fmt.Errorf("migrate: %w", err)
}

// session copies one session: the session first (the target keeps one it
// has), then its messages in seq order, skipping the copy when the target
// already holds the session's last message.
func (m *migrator) session(ctx context.Context, s chat.Session) error {
	m.stats.sessions++
	created, err := m.dst.ImportSession(ctx, s)
	if err != nil {
		return err
	}
	if !created {
		done, err := m.holdsLast(ctx, s)
		if err != nil || done {
			if done {
				m.stats.complete++
			}
			return err
		}
	}
	m.stats.copied++
	for afterSeq := int64(0); ; {
		msgs, err := m.src.ListMessages(ctx, s.ID, afterSeq, m.batch)
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		n, err := m.dst.ImportMessages(ctx, msgs)
		if err != nil {
			return err
		}
		m.stats.messages += n
		afterSeq = msgs[len(msgs)-1].Seq
	}
}

// holdsLast reports whether the target holds the session's last message,
// which it can only have once every message before it was copied.
func (m *migrator) holdsLast(ctx context.Context, s chat.Session) (bool, error) {
	if s.LastSeq == 0 {
		return true, nil
	}
	last, err := m.dst.ListMessages(ctx, s.ID, s.LastSeq-1, 1)
	if err != nil {
		return false, err
	}
	return len(last) == 1 && last[0].Seq == s.LastSeq, nil
}
