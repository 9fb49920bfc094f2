// Package mongotest gives tests a real MongoDB wire-protocol server: an
// embedded FerretDB (SQLite handler, temporary directory, loopback only) in
// a process of its own, or the server named by TEST_MONGO_URI when that is
// set (a real MongoDB in other CIs). Only tests import it, and FerretDB is
// linked into the helper command ferretdbserver alone, so it never reaches
// the shipped binary.
//
// FerretDB is a stand-in with known gaps (no transactions, lost concurrent
// updates to one document, no partial indexes, queries that ignore
// secondary indexes); the adapter is written to what both it and MongoDB do
// correctly, so passing here means passing there.
package mongotest

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// URIEnv names the environment variable that points the tests at an
// external server instead of an embedded FerretDB.
const URIEnv = "TEST_MONGO_URI"

// startTimeout bounds how long a FerretDB process may take to listen.
const startTimeout = time.Minute

// Server is one FerretDB process with its data directory. Stop and Restart
// take it down and bring it back on the same address with the same data,
// as a database restart looks to its clients.
type Server struct {
	t   testing.TB
	bin string
	dir string

	mu   sync.Mutex
	addr string    // host:port, fixed by the first start
	cmd  *exec.Cmd // nil while stopped
	// stdin is the process's stdin; closing it (or our death) stops it.
	stdin io.WriteCloser
}

// Start runs a FerretDB process on a free loopback port; it stops when t
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := serverBinary()
	if err != nil {
		t.Fatalf("mongotest: %v", err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), addr: "127.0.0.1:0"}
	if err := s.run(); err != nil {
		t.Fatalf("mongotest: start FerretDB: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URI returns a connection URI for database db on this server, with
// extra URI options (such as "serverSelectionTimeoutMS=500") appended.
func (s *Server) URI(db string, options ...string) string {
	uri := "mongodb://" + s.Addr() + "/" + db
	if len(options) > 0 {
		uri += "?" + strings.Join(options, "&")
	}
	return uri
}

// Stop kills the server: its listener and every client connection close at
// once, as when a database process dies. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, stdin := s.cmd, s.stdin
	s.cmd, s.stdin = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	_ = stdin.Close()
}

// Restart starts a stopped server again on the same address with the same
// data.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.run(); err != nil {
		s.t.Fatalf("mongotest: restart FerretDB on %s: %v", s.Addr(), err)
	}
}

// run starts the process on s.addr and waits until it listens.
func (s *Server) run() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("already running")
	}
	cmd := exec.Command(s.bin, "-listen", s.addr, "-dir", s.dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(strings.TrimPrefix(line, "listening "))
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		if a == "" {
			_ = cmd.Wait()
			return fmt.Errorf("FerretDB exited: %s", strings.TrimSpace(stderr.String()))
		}
		s.addr, s.cmd, s.stdin = a, cmd, stdin
		return nil
	case <-time.After(startTimeout):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("FerretDB did not listen within %s", startTimeout)
	}
}

// DBName returns a fresh database name, so tests sharing one server never
// see each other's data.
func DBName(prefix string) string {
	return prefix + "_" + strings.ToLower(rand.Text()[:12])
}

// Target is where a test's databases live: an embedded FerretDB, or the
// server of TEST_MONGO_URI.
type Target struct {
	server   *Server // nil for an external server
	external string  // TEST_MONGO_URI
}

// NewTarget starts a FerretDB for t, unless TEST_MONGO_URI names an
// external server.
func NewTarget(t testing.TB) *Target {
	t.Helper()
	if uri := os.Getenv(URIEnv); uri != "" {
		return &Target{external: uri}
	}
	return &Target{server: Start(t)}
}

// URI returns a connection URI for a fresh database whose name starts with
// prefix.
func (tg *Target) URI(prefix string) string {
	db := DBName(prefix)
	if tg.server != nil {
		return tg.server.URI(db)
	}
	return withDatabase(tg.external, db)
}

// withDatabase puts db as the path of a mongodb:// URI, keeping its hosts,
// credentials and options.
//
// Credentials are checked against the URI's database unless authSource
// says otherwise, so when the URI has credentials and no authSource the
// original database (or admin) is kept as the authSource.
func withDatabase(uri, db string) string {
	rest, query, _ := strings.Cut(uri, "?")
	scheme, hosts, ok := strings.Cut(rest, "://")
	if !ok {
		return uri // not a URI the driver would accept either; let it say so
	}
	hosts, authDB, _ := strings.Cut(hosts, "/")
	if strings.Contains(hosts, "@") && !strings.Contains(query, "authSource=") {
		if authDB == "" {
			authDB = "admin"
		}
		if query != "" {
			query += "&"
		}
		query += "authSource=" + authDB
	}
	out := scheme + "://" + hosts + "/" + db
	if query != "" {
		out += "?" + query
	}
	return out
}
