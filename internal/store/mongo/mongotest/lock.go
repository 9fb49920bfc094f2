package mongotest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // the driver FerretDB's own files are written with
)

// LockWrites takes the write lock of database db's file, as a stuck writer
// would: the server keeps answering pings and reads, while every write
// waits and, after FerretDB's 10 s busy timeout, fails. This is how a test
// shows a server that is up but cannot write (MongoDB's read-only or full
// disk, a primary without a majority). The returned function releases the
// lock; it also runs when t ends. The database must exist (have been
// written to) before.
func (s *Server) LockWrites(t testing.TB, db string) (release func()) {
	t.Helper()
	pool, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, db+".sqlite"))
	if err != nil {
		t.Fatalf("mongotest: open %s's file: %v", db, err)
	}
	conn, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatalf("mongotest: open %s's file: %v", db, err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatalf("mongotest: lock %s: %v", db, err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_ = conn.Close()
		_ = pool.Close()
	}
	t.Cleanup(release)
	return release
}
