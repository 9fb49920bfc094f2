package ws

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/metrics"
)

// The hot paths of a streamed reply: encoding one ai_response frame,
// decoding one client frame, and fanning one delta out to the connections
// that follow its session. docs/BENCHMARKS.md quotes these numbers.

var benchDelta = aiResponseFrame{Type: typeAIResponse, SessionID: "0193a7c2-4f1e-7d7a-9b8e-3c2d1e0f9a8b",
	ReplyTo: 41, StreamID: "0193a7c2-5a2b-7c3d-8e4f-5a6b7c8d9e0f", Delta: " token"}

func BenchmarkEncodeDeltaFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(benchDelta); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeUserMessage(b *testing.B) {
	data := []byte(`{"type":"user_message","session_id":"0193a7c2-4f1e-7d7a-9b8e-3c2d1e0f9a8b","client_msg_id":"c-7f3b","content":"Where is my order? It was #1234."}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, problem := decodeFrame(websocket.TextMessage, data); problem != "" {
			b.Fatal(problem)
		}
	}
}

// BenchmarkDeliverDelta measures one delta event reaching every connection
// that follows its session: the hub's dispatch, the queue hand-off, each
// connection's view bookkeeping, frame encoding, and the WebSocket write on
// a loopback TCP socket, until each client has read the frame.
func BenchmarkDeliverDelta(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			f := newFanout(b, n, Options{SendQueue: 1 << 20, PingInterval: time.Hour})
			b.ReportAllocs()
			b.ResetTimer()
			f.expect(b.N)
			for i := 0; i < b.N; i++ {
				f.srv.hub.dispatch(f.topic, chat.Event{Type: chat.EventDelta, SessionID: f.session,
					Delta: &chat.Delta{StreamID: "stream", ReplyTo: 1, Index: i, Text: " token"}})
			}
			f.wait(b)
		})
	}
}

// fanout is n server connections following one session, each with a
// client reading on the other end of a loopback socket.
type fanout struct {
	srv     *Server
	topic   *topic
	session string
	clients []*websocket.Conn
	readers sync.WaitGroup
	want    chan int // frames each reader must read
	errs    chan error
}

func newFanout(b testing.TB, n int, opts Options) *fanout {
	b.Helper()
	f := &fanout{session: "0193a7c2-4f1e-7d7a-9b8e-3c2d1e0f9a8b", want: make(chan int, n), errs: make(chan error, n)}
	f.srv = NewServer(nil, nil, nil, metrics.New(prometheus.NewRegistry()), slog.New(slog.DiscardHandler), opts)
	f.topic = &topic{conns: make(map[*conn]struct{})}
	f.clients = make([]*websocket.Conn, 0, n)
	accepted := make(chan *conn, n)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wsc, err := f.srv.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newConn(f.srv, wsc, chat.Actor{ID: "bench"}, f.srv.log)
		c.viewOf(f.session).lastSeq = 1
		accepted <- c
	}))
	b.Cleanup(hs.Close)
	url := "ws" + strings.TrimPrefix(hs.URL, "http")
	for range n {
		cl, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cl.Close() })
		c := <-accepted
		b.Cleanup(func() { _ = c.ws.Close() })
		f.topic.conns[c] = struct{}{}
		f.clients = append(f.clients, cl)
	}
	return f
}

// read consumes the frames the benchmark tells it to expect.
func (f *fanout) read(cl *websocket.Conn) {
	defer f.readers.Done()
	frames, ok := <-f.want
	if !ok {
		return
	}
	for range frames {
		if _, _, err := cl.ReadMessage(); err != nil {
			f.errs <- err
			return
		}
	}
}

// expect starts a reader on every client and tells it how many frames to
// read.
func (f *fanout) expect(frames int) {
	for _, cl := range f.clients {
		f.readers.Add(1)
		go f.read(cl)
		f.want <- frames
	}
}

// wait returns once every reader has read its frames.
func (f *fanout) wait(b testing.TB) {
	f.readers.Wait()
	select {
	case err := <-f.errs:
		b.Fatal(err)
	default:
	}
}
