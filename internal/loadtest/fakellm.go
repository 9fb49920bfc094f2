package loadtest

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// maxRequestBody bounds what the fake model reads of a request; Chatbox's
// history budget keeps real requests far below it.
const maxRequestBody = 4 << 20

// Pre-built pieces of the OpenAI chat.completion.chunk events the fake model
// streams. Token texts are JSON-safe by construction (a space, the stamp
// mark and base-36 digits), so they are spliced in without encoding: the
// fake model must cost little CPU, because it shares the machine with the
// server being measured.
const (
	chunkHead = `data: {"id":"chatcmpl-load","object":"chat.completion.chunk","created":1700000000,"model":"fake-load","choices":[{"index":0,"delta":{`
	roleChunk = chunkHead + `"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"
	tokenHead = chunkHead + `"content":"`
	tokenTail = `"},"finish_reason":null}]}` + "\n\n"
	stopChunk = chunkHead + `},"finish_reason":"stop"}]}` + "\n\n"
	doneEvent = "data: [DONE]\n\n"
)

// FakeLLM is an OpenAI-compatible streaming chat completions endpoint
// (POST /v1/chat/completions, server-sent events). Every token it streams
// is stamped with the time it was written, so a client that receives the
// token through Chatbox can tell how long Chatbox took to deliver it,
// independently of how slowly the model produces tokens.
//
// The reply's length and speed come from the newest "tokens=N rate=R"
// directive in the request (see replyShape), else from the defaults.
type FakeLLM struct {
	def replyShape

	emitted   atomic.Int64
	started   atomic.Int64
	completed atomic.Int64
	aborted   atomic.Int64
}

// NewFakeLLM returns a fake model answering tokensPerReply tokens at
// tokensPerSecond (0: as fast as possible) unless a request asks otherwise.
func NewFakeLLM(tokensPerReply int, tokensPerSecond float64) *FakeLLM {
	return &FakeLLM{def: replyShape{Tokens: tokensPerReply, Rate: tokensPerSecond}}
}

// FakeLLMStats counts what the fake model did.
type FakeLLMStats struct {
	TokensEmitted    int64 `json:"tokens_emitted"`
	StreamsStarted   int64 `json:"streams_started"`
	StreamsCompleted int64 `json:"streams_completed"`
	StreamsAborted   int64 `json:"streams_aborted"`
}

// Stats returns the counters so far.
func (f *FakeLLM) Stats() FakeLLMStats {
	return FakeLLMStats{
		TokensEmitted: f.emitted.Load(), StreamsStarted: f.started.Load(),
		StreamsCompleted: f.completed.Load(), StreamsAborted: f.aborted.Load(),
	}
}

// ServeHTTP implements http.Handler.
func (f *FakeLLM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.Error(w, `{"error":{"message":"fake model: only POST /v1/chat/completions","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, `{"error":{"message":"fake model: unreadable body","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	f.started.Add(1)
	if f.stream(w, r, shapeFrom(body, f.def), bytes.Contains(body, []byte(`"include_usage":true`))) {
		f.completed.Add(1)
	} else {
		f.aborted.Add(1)
	}
}

// stream writes one reply; it reports false if the client went away first.
func (f *FakeLLM) stream(w http.ResponseWriter, r *http.Request, shape replyShape, usage bool) bool {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if !writeFlush(w, rc, []byte(roleChunk)) {
		return false
	}
	var timer *time.Timer
	if iv := shape.interval(); iv > 0 {
		timer = time.NewTimer(time.Hour)
		defer timer.Stop()
	}
	buf := make([]byte, 0, len(tokenHead)+len(tokenTail)+16)
	start := time.Now()
	for i := range shape.Tokens {
		if timer != nil {
			// Tokens are scheduled from the start, so a late token does
			// not delay the ones after it.
			timer.Reset(time.Until(start.Add(time.Duration(i) * shape.interval())))
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return false
			}
		}
		buf = append(buf[:0], tokenHead...)
		buf = append(buf, stampToken(time.Now())...)
		buf = append(buf, tokenTail...)
		if !writeFlush(w, rc, buf) {
			return false
		}
		f.emitted.Add(1)
	}
	end := stopChunk
	if usage {
		end += `data: {"id":"chatcmpl-load","object":"chat.completion.chunk","created":1700000000,"model":"fake-load","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":` +
			strconv.Itoa(shape.Tokens) + `,"total_tokens":` + strconv.Itoa(shape.Tokens+1) + "}}\n\n"
	}
	return writeFlush(w, rc, []byte(end+doneEvent))
}

func writeFlush(w io.Writer, rc *http.ResponseController, b []byte) bool {
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}
