package mongo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chatboxhq/chatbox/internal/store/mongo/mongotest"
)

// TestPingProbesWrites: readiness turns red while the server answers pings
// but cannot write (its database locked by a stuck writer), and green again
// once writes go through. A ping alone would have stayed green throughout.
func TestPingProbesWrites(t *testing.T) {
	if os.Getenv(mongotest.URIEnv) != "" {
		t.Skip("needs the embedded FerretDB to lock its files")
	}
	srv := mongotest.Start(t)
	db := mongotest.DBName("probe")
	s := openTest(t, srv.URI(db))
	t.Cleanup(func() { _ = s.Close() })
	ping := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return s.Ping(ctx)
	}
	if err := ping(); err != nil {
		t.Fatalf("Ping on a healthy server: %v", err)
	}

	release := srv.LockWrites(t, db)
	if err := s.client.Ping(t.Context(), nil); err != nil {
		t.Fatalf("the server stopped answering pings: %v", err)
	}
	if err := ping(); err == nil {
		t.Fatal("Ping succeeded while no write could land")
	}
	release()

	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ping()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping after the lock was released: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
