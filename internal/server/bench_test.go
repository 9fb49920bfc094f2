package server

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkFirstToken measures what a user waits for: from sending a
// message to the first streamed token, with a fake model that answers
// instantly, so the number is Chatbox's own overhead (storage write,
// encryption, bus, history read, the provider's HTTP round trip).
func BenchmarkFirstToken(b *testing.B) {
	llm := fakeLLM(b)
	srv := start(b, testEnv(b.TempDir(), llm.URL, map[string]string{
		"RATE_LIMIT_MESSAGES_PER_MINUTE": "100000", "RATE_LIMIT_BURST": "100000",
	}))
	c := srv.dial("bench")
	sid := ""
	var total, ack time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m := map[string]any{"type": "user_message", "client_msg_id": "b" + strconv.Itoa(i), "content": "benchmark question"}
		if sid != "" {
			m["session_id"] = sid
		}
		if err := c.conn.WriteJSON(m); err != nil {
			b.Fatal(err)
		}
		first := time.Duration(0)
		for answered := false; !answered; {
			f := c.read()
			switch f.str("type") {
			case "message":
				if f.str("sender") == "user" {
					ack += time.Since(start)
				}
				sid = f.str("session_id")
				answered = f.str("sender") == "ai"
			case "ai_response":
				if first == 0 {
					first = time.Since(start)
				}
			}
		}
		total += first
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "us-to-first-token")
	b.ReportMetric(float64(ack.Microseconds())/float64(b.N), "us-to-ack")
}
