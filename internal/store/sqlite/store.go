// Package sqlite is the embedded default chat.Repository: one SQLite file,
// reached through the pure-Go modernc.org/sqlite driver so the binary needs
// no C toolchain.
//
// Any number of Stores, in one process or in several, may share a file.
// Every write runs in a transaction that takes SQLite's database write lock
// before it reads anything (BEGIN IMMEDIATE), so the read-check-write steps
// that assign seqs and detect duplicate messages are serialised across all
// of them, and two writers can never deadlock by both upgrading a read lock.
// The file is in WAL mode, so readers do not block the writer nor it them,
// and synchronous=FULL makes a commit durable before it returns: a message
// is acknowledged only once it would survive a power cut. WAL coordinates
// through shared memory, so the processes sharing a file must run on one
// host, with the file on a local filesystem.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

// busyTimeout is how long a statement waits for a lock held by another
// connection (another Store or process) before failing with SQLITE_BUSY.
// Write transactions are short, so reaching it means something is wrong
// (a stuck process, a very slow disk), not ordinary contention.
const busyTimeout = 10 * time.Second

// Store is a chat.Repository backed by a SQLite file. It is safe for
// concurrent use. Create it with Open and release it with Close.
type Store struct {
	// write has a single connection. Only one transaction can write a SQLite
	// database at a time anyway; queueing this Store's writers in the pool
	// is fair and wakes the next one as soon as the connection is free,
	// where several connections would poll for the lock in SQLite's busy
	// handler, sleeping up to 100ms between tries. Other Stores and
	// processes still contend through the busy handler.
	write *sql.DB
	// read serves queries outside transactions. In WAL mode each reads a
	// consistent snapshot of committed data without taking the write lock.
	read *sql.DB
	// stmts are the write path's statements, prepared on write's
	// connection; keyed by their SQL (see writeTx).
	stmts map[string]*sql.Stmt
	// lastCommit is when a write transaction that changed rows last
	// committed (UnixNano), so Ping need not queue a probe write behind
	// real ones (probe.go). Commits that changed nothing wrote nothing,
	// and prove nothing.
	lastCommit atomic.Int64
}

var _ chat.Repository = (*Store)(nil)

// Open opens the database file at path, creating it and its parent
// directory (mode 0700) if needed, and migrates the schema to the newest
// version. ctx bounds the work done by Open itself.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		// An in-memory database would be private to each pooled
		// connection, and a URI would bypass the DSN built below.
		return nil, fmt.Errorf("sqlite: open %q: a database file path is required", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: open %q: create directory: %w", path, err)
	}

	write, err := sql.Open("sqlite", dsn(abs, writeParams()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	// Keep the connection: reopening it would re-run the PRAGMAs and drop
	// SQLite's page cache for nothing.
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	if err := prepareFile(ctx, write); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	stmts, err := prepareStatements(ctx, write)
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}

	// Readers are opened only now: the file exists, is in WAL mode and has
	// its schema, so their connections need none of the writer's settings.
	s := &Store{write: write, stmts: stmts}
	s.read, err = sql.Open("sqlite", dsn(abs, readParams()))
	if err != nil {
		_ = s.closeWriter()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	n := max(2, runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	if err := s.read.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return s, nil
}

// prepareFile checks that the settings the package's guarantees rest on
// took effect and migrates the schema.
func prepareFile(ctx context.Context, write *sql.DB) error {
	// PRAGMA journal_mode=WAL reports the mode in force rather than failing
	// when it cannot switch (some network filesystems), so verify it: in
	// rollback-journal mode readers and the writer would block each other.
	var mode string
	if err := write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	if err := migrate(ctx, write); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// writeParams are the driver settings of the writer connection.
func writeParams() url.Values {
	return url.Values{
		"_busy_timeout": {strconv.FormatInt(busyTimeout.Milliseconds(), 10)},
		"_foreign_keys": {"1"},
		"_journal_mode": {"WAL"},
		// FULL syncs the WAL on every commit. NORMAL, the usual WAL
		// companion, can lose the last commits on power loss, and those
		// may be messages a client already saw acknowledged.
		"_synchronous": {"FULL"},
		// BEGIN IMMEDIATE: take the write lock when the transaction
		// starts. A deferred transaction that reads and then writes must
		// upgrade its lock, and in WAL mode that fails at once with
		// SQLITE_BUSY (no busy handler) if another connection committed
		// in between, which concurrent appends would hit constantly.
		"_txlock": {"immediate"},
		// Deleted rows are overwritten with zeros, so erased data does not
		// stay in the file's bytes (erase.go).
		"_pragma": {"secure_delete(1)"},
	}
}

// readParams are the driver settings of the reader connections.
func readParams() url.Values {
	return url.Values{
		// Readers wait only in rare WAL bookkeeping cases (recovery after
		// a crash, a checkpoint resetting the log); still, never fail fast.
		"_busy_timeout": {strconv.FormatInt(busyTimeout.Milliseconds(), 10)},
		// A mistaken write through the read pool would bypass the
		// immediate-lock discipline; make it an error instead.
		"_query_only": {"1"},
	}
}

// dsn builds a file: URI for the driver. The URI form, rather than a plain
// path, lets any path work: the driver splits a plain name at its first
// '?', while here '?', '#' and '%' in the path are percent-encoded and
// SQLite decodes them.
func dsn(absPath string, params url.Values) string {
	p := filepath.ToSlash(absPath)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: C:/x must become file:///C:/x
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: params.Encode()}
	return u.String()
}

// Ping reports whether the database file can be read and written.
func (s *Store) Ping(ctx context.Context) error {
	// A query that reads the file header, unlike a bare connection check,
	// fails if the file has become unreadable.
	var v int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.probeWrite(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: storage is not writable: %w", err)
	}
	return nil
}

// Close closes the Store's connections. Calls in progress may fail.
func (s *Store) Close() error {
	err := errors.Join(s.closeWriter(), s.read.Close())
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) closeWriter() error {
	return errors.Join(closeStatements(s.stmts), s.write.Close())
}

// inWriteTx runs fn in a write transaction, which holds the database write
// lock from its first statement (BEGIN IMMEDIATE), and commits if fn
// returns nil. fn must not keep tx.
func (s *Store) inWriteTx(ctx context.Context, fn func(tx *writeTx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	w := &writeTx{tx: tx, stmts: s.stmts}
	if err := fn(w); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if w.wrote {
		s.lastCommit.Store(time.Now().UnixNano())
	}
	return nil
}

// toMillis and fromMillis convert between time.Time and the stored form,
// integer milliseconds since the Unix epoch in UTC (see migrations).
func toMillis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// nullMillis stores a zero time (an active session's EndedAt) as NULL, so the
// column says "not ended" instead of holding year 1.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: toMillis(t), Valid: true}
}

func fromNullMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMillis(v.Int64)
}

// nullBytes stores an empty value (a session without a title) as NULL.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
