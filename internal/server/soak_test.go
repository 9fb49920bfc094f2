package server

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// TestSoakChurn: clients keep connecting, chatting, disconnecting,
// reconnecting and resuming for a while (10s, or CHATBOX_SOAK_DURATION such
// as 30m); afterwards the server's goroutines are back to what they were
// before the churn, and its heap and open file descriptors are back near
// their baseline. Full run:
//
//	CHATBOX_SOAK_DURATION=30m go test -count=1 -v -timeout 40m -run TestSoakChurn ./internal/server
func TestSoakChurn(t *testing.T) {
	if testing.Short() {
		t.Skip("soak is skipped under -short")
	}
	duration := 10 * time.Second
	if v := os.Getenv("CHATBOX_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CHATBOX_SOAK_DURATION=%q: want a positive duration such as 30m", v)
		}
		duration = d
	}
	// The fake model keeps no requests, or its records would be the
	// growth this test measures.
	llm := fakeLLM(t, llmtest.WithoutRecording())
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))

	// Warm up: the first connection and reply start the pools, caches and
	// long-lived goroutines a server keeps whatever its load.
	churnOnce(t, srv, "warmup", 0)
	baseGoroutines := goleak.IgnoreCurrent()
	baseHeap, baseFDs := heapInUse(), openFDs(t)

	const workers = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		rounds int
	)
	deadline := time.Now().Add(duration)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline) && !t.Failed(); i++ {
				churnOnce(t, srv, fmt.Sprintf("soak%d", w), i)
				mu.Lock()
				rounds++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Let the server notice the last disconnects before counting.
	waitFor(t, "connections to close", func() bool { return srv.app.ws.Connections() == 0 })
	goleak.VerifyNone(t, baseGoroutines,
		// The provider's HTTP client keeps idle keep-alive connections to
		// the model API (here the fake LLM, whose server side is in this
		// process too): a pool bounded by the transport, reused by the
		// next reply, not a per-connection leak.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http/httptest.(*Server).wrap.func1"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
	)
	waitFor(t, "file descriptors back to baseline", func() bool { return openFDs(t) <= baseFDs+4 })
	heap := heapInUse()
	// The heap may keep caches warm (statement caches, pools), but it must
	// not grow with the number of rounds: allow a fixed margin.
	if heap > baseHeap+16<<20 {
		t.Errorf("heap in use %d MiB after the churn, baseline %d MiB", heap>>20, baseHeap>>20)
	}
	t.Logf("%d rounds of connect, chat, disconnect, reconnect, resume in %v by %d clients; heap %d -> %d KiB, fds %d -> %d",
		rounds, duration, workers, baseHeap>>10, heap>>10, baseFDs, openFDs(t))
}

// churnOnce is one user's visit: connect, chat, disconnect, come back,
// resume, chat again, leave.
func churnOnce(t *testing.T, srv *instance, worker string, i int) {
	user := fmt.Sprintf("%s-%d", worker, i) // a fresh user: no rate limit
	c := soakDial(t, srv, user)
	sid := c.ask("", "c1", "hello").str("session_id")
	c.reply()
	_ = c.conn.Close()

	c = soakDial(t, srv, user)
	c.send(map[string]any{"type": "resume", "session_id": sid, "last_seq": 1})
	c.until("resumed", nil)
	c.ask(sid, "c2", "again")
	c.reply()
	_ = c.conn.Close()
}

// soakDial connects like instance.dial, but registers no cleanup: the
// soak closes its own connections, and thousands of cleanups would keep
// every closed connection reachable and skew the heap measurement.
func soakDial(t *testing.T, srv *instance, user string) *client {
	d := websocket.Dialer{HandshakeTimeout: waitLimit}
	conn, _, err := d.Dial(srv.wsURL+"?token="+token(t, user, time.Hour), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &client{t: t, conn: conn}
	if f := c.read(); f.str("type") != "connection_status" {
		t.Fatalf("first frame = %v, want connection_status", f)
	}
	return c
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors here: %v", err)
	}
	return len(entries)
}

// waitFor polls cond; the limit is a safety net, not a speed assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
