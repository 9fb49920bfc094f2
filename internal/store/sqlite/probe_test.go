package sqlite

import (
	"path/filepath"
	"testing"
	"time"
)

// TestPingProbesWrites: Ping commits a probe write unless a real write
// committed moments ago, and a closed write side makes it fail even though
// reads still work. The fault suite (internal/faults) proves the same
// against a full disk.
func TestPingProbesWrites(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "probe.db"))
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping of a healthy store: %v", err)
	}
	// A transaction that changes nothing is no proof of writability.
	if err := s.inWriteTx(t.Context(), func(tx *writeTx) error {
		_, err := tx.ExecContext(t.Context(), "UPDATE sessions SET id = id WHERE 0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if s.lastCommit.Load() != 0 {
		t.Fatal("an empty commit counted as proof that storage is writable")
	}
	// Break the write side only: reads still work, Ping must fail.
	if err := s.write.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded although no write can")
	}
	// A fresh commit stands in for the probe: no write is attempted.
	s.lastCommit.Store(time.Now().UnixNano())
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping right after a commit: %v", err)
	}
}
