package loadtest

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Reply shapes are chosen per message: a client writes "tokens=N rate=R"
// into its message, and the fake model (or the baseline server) answers
// with N tokens at R tokens per second. One run can then open sessions with
// one-token replies and stream long ones, without the servers sharing state.

// maxTokensPerReply and maxRate bound what one directive may ask for.
const (
	maxTokensPerReply = 10000
	maxRate           = 100000
)

// replyShape is how one reply streams.
type replyShape struct {
	Tokens int     // tokens in the reply
	Rate   float64 // tokens per second; 0: as fast as possible
}

// directive is the message text asking for shape s; tag makes messages
// distinguishable in logs.
func (s replyShape) directive(tag string) string {
	return fmt.Sprintf("%s tokens=%d rate=%s", tag, s.Tokens, strconv.FormatFloat(s.Rate, 'f', -1, 64))
}

// interval is the time between two tokens.
func (s replyShape) interval() time.Duration {
	if s.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / s.Rate)
}

// duration is how long the whole reply takes to stream.
func (s replyShape) duration() time.Duration {
	return time.Duration(max(s.Tokens-1, 0)) * s.interval()
}

// shapeFrom reads the last directive in text (a request body or a message),
// falling back to def for anything absent or out of range. Taking the last
// one means the newest user message wins over the history before it.
func shapeFrom(text []byte, def replyShape) replyShape {
	s := def
	if v, ok := lastNumber(text, "tokens="); ok && v >= 0 && v <= maxTokensPerReply {
		s.Tokens = int(v)
	}
	if v, ok := lastNumber(text, "rate="); ok && v >= 0 && v <= maxRate {
		s.Rate = v
	}
	return s
}

// lastNumber parses the number after the last occurrence of key.
func lastNumber(text []byte, key string) (float64, bool) {
	i := bytes.LastIndex(text, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := text[i+len(key):]
	n := 0
	for n < len(rest) && (('0' <= rest[n] && rest[n] <= '9') || rest[n] == '.') {
		n++
	}
	v, err := strconv.ParseFloat(string(rest[:n]), 64)
	return v, err == nil
}
