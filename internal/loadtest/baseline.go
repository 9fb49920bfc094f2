package loadtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatboxhq/chatbox/internal/wire"
)

// Baseline is the floor Chatbox is measured against: a WebSocket server
// that speaks just enough of the protocol for the harness's clients and
// writes the same frames Chatbox would (connection_status, the stored
// message, resumed, ai_response deltas, the stored reply), with no
// application logic: no authentication, storage, encryption, bus or model
// call. It generates the stamped tokens itself at the requested rate, so
// what it costs per token is only JSON encoding and WebSocket writes.
//
// Its connections are set up the way the leanest gorilla/websocket server
// measured on these machines was (dependencies.md): 512-byte buffers, a
// shared write buffer pool, and the read loop in its own goroutine so the
// HTTP handler returns.
type Baseline struct {
	def      replyShape
	upgrader websocket.Upgrader
}

// NewBaseline returns a baseline server streaming tokensPerReply tokens at
// tokensPerSecond unless a message asks otherwise.
func NewBaseline(tokensPerReply int, tokensPerSecond float64) *Baseline {
	return &Baseline{
		def: replyShape{Tokens: tokensPerReply, Rate: tokensPerSecond},
		upgrader: websocket.Upgrader{
			ReadBufferSize:  512,
			WriteBufferSize: 512,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
}

// ServeHTTP upgrades any request to a WebSocket, except /chat/readyz,
// which answers 200 so the harness can wait for it like for Chatbox, and
// /metrics, the Go runtime's memory figures under the names Chatbox's
// Prometheus endpoint uses.
func (b *Baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/chat/readyz":
		w.WriteHeader(http.StatusOK)
		return
	case "/metrics":
		writeRuntimeMetrics(w)
		return
	}
	ws, err := b.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &baseConn{b: b, ws: ws}
	c.write(baseStatus{Type: "connection_status", Protocol: 1, UserID: "baseline",
		Models: []baseModel{{ID: "baseline", Name: "Baseline"}}, DefaultModel: "baseline"})
	go c.readLoop()
}

type (
	baseModel struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	baseStatus struct {
		Type         string      `json:"type"`
		Protocol     int         `json:"protocol"`
		UserID       string      `json:"user_id"`
		Models       []baseModel `json:"models"`
		DefaultModel string      `json:"default_model"`
	}
	baseMessage struct {
		Type string `json:"type"`
		wire.Message
	}
	baseDelta struct {
		Type      string `json:"type"`
		SessionID string `json:"session_id"`
		ReplyTo   int64  `json:"reply_to"`
		StreamID  string `json:"stream_id"`
		Delta     string `json:"delta"`
		Done      bool   `json:"done"`
	}
	baseResumed struct {
		Type      string `json:"type"`
		SessionID string `json:"session_id"`
		LastSeq   int64  `json:"last_seq"`
		Streaming bool   `json:"streaming"`
	}
	baseInbound struct {
		Type        string `json:"type"`
		SessionID   string `json:"session_id"`
		ClientMsgID string `json:"client_msg_id"`
		Content     string `json:"content"`
		LastSeq     int64  `json:"last_seq"`
	}
)

// baseConn is one baseline connection with its one session.
type baseConn struct {
	b  *Baseline
	ws *websocket.Conn

	mu      sync.Mutex // serialises writes and guards the fields below
	session string
	seq     int64
}

func (c *baseConn) readLoop() {
	defer c.ws.Close()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var in baseInbound
		if json.Unmarshal(data, &in) != nil {
			continue
		}
		switch in.Type {
		case "user_message":
			c.answer(in)
		case "resume":
			c.mu.Lock()
			c.session, c.seq = in.SessionID, max(c.seq, in.LastSeq)
			c.writeLocked(baseResumed{Type: "resumed", SessionID: c.session, LastSeq: c.seq})
			c.mu.Unlock()
		case "ping":
			c.write(struct {
				Type string `json:"type"`
			}{"pong"})
		}
	}
}

// answer acknowledges a user message and streams its reply.
func (c *baseConn) answer(in baseInbound) {
	c.mu.Lock()
	first := c.session == ""
	if first {
		c.session = rand.Text()
	}
	c.seq++
	ack := wire.Message{SessionID: c.session, Seq: c.seq, ID: rand.Text(), ClientMsgID: in.ClientMsgID,
		Sender: "user", SenderName: "baseline", Content: in.Content, CreatedAt: time.Now().UTC()}
	c.writeLocked(baseMessage{Type: "message", Message: ack})
	if first {
		c.writeLocked(baseResumed{Type: "resumed", SessionID: c.session, LastSeq: c.seq})
	}
	c.mu.Unlock()
	go c.stream(ack, shapeFrom([]byte(in.Content), c.b.def))
}

func (c *baseConn) stream(q wire.Message, shape replyShape) {
	d := baseDelta{Type: "ai_response", SessionID: q.SessionID, ReplyTo: q.Seq, StreamID: rand.Text()}
	var text strings.Builder
	start := time.Now()
	for i := range shape.Tokens {
		if iv := shape.interval(); iv > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i) * iv)))
		}
		d.Delta = stampToken(time.Now())
		text.WriteString(d.Delta)
		if !c.write(d) {
			return
		}
	}
	d.Delta, d.Done = "", true
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeLocked(d)
	c.seq++
	c.writeLocked(baseMessage{Type: "message", Message: wire.Message{SessionID: q.SessionID, Seq: c.seq,
		ID: rand.Text(), Sender: "ai", SenderName: "Baseline", Content: text.String(),
		CreatedAt: time.Now().UTC(), ReplyTo: q.Seq, ModelID: "baseline"}})
}

func (c *baseConn) write(v any) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeLocked(v)
}

// writeLocked encodes and sends one frame as Chatbox does: one Marshal,
// one WriteMessage.
func (c *baseConn) writeLocked(v any) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data) == nil
}

// writeRuntimeMetrics writes the few runtime figures the harness reads,
// in the Prometheus text format.
func writeRuntimeMetrics(w http.ResponseWriter) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "%s %d\n%s %d\n%s %d\n%s %d\n",
		metricGCCount, ms.NumGC, metricHeapInuse, ms.HeapInuse,
		metricStackInuse, ms.StackInuse, metricGoroutines, runtime.NumGoroutine())
}
