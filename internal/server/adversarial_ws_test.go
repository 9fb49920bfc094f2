package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestCompressedFrameBombIsRefused: the server never negotiates
// permessage-deflate, so a compressed frame (RSV1 set) is a protocol error
// that closes that connection at once, before anything is inflated.
func TestCompressedFrameBombIsRefused(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	var raw net.Conn
	d := websocket.Dialer{
		HandshakeTimeout:  waitLimit,
		EnableCompression: true,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			raw = c
			return c, err
		},
	}
	conn, resp, err := d.Dial(srv.wsURL+"?token="+token(t, "ivan", time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("server negotiated %q, want no extension", ext)
	}
	c := &client{t: t, conn: conn}
	if f := c.read(); f.str("type") != "connection_status" {
		t.Fatalf("first frame %v", f)
	}
	// A masked text frame with RSV1 set carrying deflate bytes that would
	// inflate to far more than the frame limit.
	payload := []byte{0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x90, 0xfe, 0xaf, 0xee, 0x01}
	frame := []byte{0xC1, 0x80 | byte(len(payload)), 1, 2, 3, 4}
	for i, b := range payload {
		frame = append(frame, b^[]byte{1, 2, 3, 4}[i%4])
	}
	if _, err := raw.Write(frame); err != nil {
		t.Fatal(err)
	}
	if code := c.closeCode(); code != websocket.CloseProtocolError {
		t.Fatalf("close code %d, want 1002 protocol error", code)
	}
	srv.dial("judy").ask("", "j1", "still here?")
}

// TestDeeplyNestedJSON: a frame nesting far deeper than any real frame
// costs the server one bounded parse and gets a clear error; the
// connection keeps working.
func TestDeeplyNestedJSON(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	c := srv.dial("kate")
	for name, nested := range map[string]string{
		"arrays":  strings.Repeat("[", 30000) + strings.Repeat("]", 30000),
		"objects": strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	} {
		t.Run(name, func(t *testing.T) {
			c.sendRaw(websocket.TextMessage, []byte(`{"type":"user_message","client_msg_id":"k1","content":"hi","x":`+nested+`}`))
			f := c.read()
			if f.str("type") != "error" || f.str("code") != "invalid_message" {
				t.Fatalf("got %v, want an invalid_message error", f)
			}
			c.send(map[string]any{"type": "ping"})
			if f := c.read(); f.str("type") != "pong" {
				t.Fatalf("after the error: %v, want pong", f)
			}
		})
	}
}

// TestSlowlorisHeadersAreCutOff: a client that sends request headers a
// line at a time and never finishes is disconnected by the header read
// timeout, while everyone else is served.
func TestSlowlorisHeadersAreCutOff(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the 10s header timeout")
	}
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, nil))
	host := strings.TrimPrefix(strings.TrimSuffix(srv.baseURL, "/chat"), "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET /chat/healthz HTTP/1.1\r\nHost: %s\r\n", host); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	trickle := time.NewTicker(500 * time.Millisecond)
	defer trickle.Stop()
	deadline := time.After(time.Minute) // safety net; the timeout is 10s
	for i := 0; ; i++ {
		select {
		case <-closed:
			if code := getJSON(t, srv.baseURL+"/healthz", "", nil); code != http.StatusOK {
				t.Fatalf("healthz = %d after the slowloris", code)
			}
			return
		case <-trickle.C:
			// Errors are expected once the server has closed; the reader
			// above reports it.
			_, _ = fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", i)
			if i%4 == 0 {
				// Others are served meanwhile.
				if code := getJSON(t, srv.baseURL+"/healthz", "", nil); code != http.StatusOK {
					t.Fatalf("healthz = %d during the slowloris", code)
				}
			}
		case <-deadline:
			t.Fatal("the server kept a connection that never finished its headers")
		}
	}
}

// TestSlowReaderIsDisconnected: a client that keeps sending but never reads
// makes the server queue answers; once WS_SEND_QUEUE frames are waiting
// the server drops the connection (counted as a slow consumer) instead of
// buffering without bound, and other users are unaffected.
func TestSlowReaderIsDisconnected(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"WS_SEND_QUEUE": "16"}))
	d := websocket.Dialer{
		HandshakeTimeout: waitLimit,
		// A tiny receive buffer on our side so the server's writes block
		// after a few KiB instead of filling megabytes of socket buffers.
		NetDialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			})
			return errors.Join(err, serr)
		}}).DialContext,
		ReadBufferSize: 512,
	}
	conn, _, err := d.Dial(srv.wsURL+"?token="+token(t, "leo", time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Each ping is answered with a pong frame we never read.
	ping := []byte(`{"type":"ping"}`)
	sent := 0
	for ; sent < 2_000_000; sent++ {
		_ = conn.SetWriteDeadline(time.Now().Add(waitLimit))
		if err := conn.WriteMessage(websocket.TextMessage, ping); err != nil {
			break
		}
	}
	if sent == 2_000_000 {
		t.Fatal("the server kept answering a client that never reads")
	}
	if n := sampleValue(t, srv, "chatbox_websocket_slow_consumers_total"); n < 1 {
		t.Fatalf("slow consumers = %v after disconnecting one", n)
	}
	t.Logf("disconnected after %d unread pings", sent)
	srv.dial("mia").ask("", "m1", "unaffected?")
}

// sampleValue reads one unlabelled sample from /metrics.
func sampleValue(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(in.baseURL, "/chat") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var v float64
		if _, err := fmt.Sscanf(sc.Text(), name+" %g", &v); err == nil {
			return v
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

// TestFloodsHitClearLimits: one user opening connection after connection,
// anyone hammering the upgrade without a valid token, and one user
// flooding messages each get a clear refusal, while a second user chatting
// at the same time gets every answer, and every message the flooder had
// acknowledged is stored exactly once.
func TestFloodsHitClearLimits(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{
		"WS_MAX_CONNECTIONS_PER_USER":    "3",
		"RATE_LIMIT_MESSAGES_PER_MINUTE": "60",
		"RATE_LIMIT_BURST":               "5",
	}))

	// The bystander chats throughout.
	bystander := srv.dial("nora")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bystanderDone := make(chan int, 1)
	go func() {
		sid, n := "", 0
		for {
			select {
			case <-stop:
				bystanderDone <- n
				return
			default:
			}
			n++
			m := map[string]any{"type": "user_message", "client_msg_id": fmt.Sprintf("n%d", n), "content": "question " + fmt.Sprint(n)}
			if sid != "" {
				m["session_id"] = sid
			}
			if err := bystander.conn.WriteJSON(m); err != nil {
				bystanderDone <- -n
				return
			}
			for {
				f, err := bystander.next()
				if err != nil {
					bystanderDone <- -n
					return
				}
				if f.str("type") == "error" {
					bystanderDone <- -n
					return
				}
				if f.str("type") == "message" && f.str("sender") == "ai" {
					sid = f.str("session_id")
					break
				}
			}
			if n == 4 {
				// Stay under the bystander's own rate limit.
				<-stop
				bystanderDone <- n
				return
			}
		}
	}()

	t.Run("connections of one user", func(t *testing.T) {
		tok := token(t, "oscar", time.Hour)
		refused := 0
		for i := 0; i < 50; i++ {
			_, resp, err := srv.tryDial(tok, nil)
			if err != nil {
				if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("attempt %d: err=%v resp=%v, want 429 once over the cap", i, err, resp)
				}
				refused++
			}
		}
		if refused != 47 {
			t.Fatalf("refused %d of 50, want 47 with a cap of 3", refused)
		}
	})

	t.Run("unauthenticated upgrades", func(t *testing.T) {
		wg.Add(4)
		for w := 0; w < 4; w++ {
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					if _, resp, err := srv.tryDial("garbage", nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
						t.Errorf("err=%v resp=%v, want 401", err, resp)
						return
					}
				}
			}()
		}
		wg.Wait()
	})

	t.Run("messages of one user", func(t *testing.T) {
		flooder := srv.dial("paul")
		sid := flooder.ask("", "p0", "first").str("session_id")
		const flood = 200
		for i := 1; i <= flood; i++ {
			flooder.send(map[string]any{"type": "user_message", "session_id": sid, "client_msg_id": fmt.Sprintf("p%d", i), "content": "spam"})
		}
		flooder.send(map[string]any{"type": "ping"})
		acked, limited := 1, 0
		_, frames := flooder.until("pong", nil)
		for _, f := range frames {
			switch {
			case f.str("type") == "message" && f.str("sender") == "user":
				acked++
			case f.str("type") == "error" && f.str("code") == "rate_limited":
				limited++
			}
		}
		if limited == 0 || acked+limited != flood+1 {
			t.Fatalf("acked %d, rate limited %d of %d: every message must get exactly one answer, and the flood a refusal", acked, limited, flood+1)
		}
		var msgs struct{ Messages []map[string]any }
		getJSON(t, srv.baseURL+"/sessions/"+sid+"/messages?limit=500", token(t, "paul", time.Minute), &msgs)
		stored := 0
		for _, m := range msgs.Messages {
			if m["sender"] == "user" {
				stored++
			}
		}
		if stored != acked {
			t.Fatalf("stored %d user messages, acknowledged %d", stored, acked)
		}
	})

	close(stop)
	if n := <-bystanderDone; n <= 0 {
		t.Fatalf("the bystander's exchange %d failed during the floods", -n)
	}
}
