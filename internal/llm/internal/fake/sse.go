package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Stream writes one server-sent events response.
type Stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	r       *http.Request
	closing <-chan struct{}
	started bool
}

// NewStream prepares an SSE response to r; nothing is written until Start
// or the first event. closing is closed when the fake shuts down.
func NewStream(w http.ResponseWriter, r *http.Request, closing <-chan struct{}) *Stream {
	return &Stream{w: w, rc: http.NewResponseController(w), r: r, closing: closing}
}

// Start sends the 200 status and event-stream headers, flushed, so the
// client has its response before the first event.
func (s *Stream) Start() error {
	if s.started {
		return nil
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	s.w.WriteHeader(http.StatusOK)
	return s.rc.Flush()
}

// Event writes one event with v as its JSON data line, preceded by an
// "event:" line unless name is empty, and flushes it. An error means the
// client is gone.
func (s *Stream) Event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("fake: encode event: %w", err)
	}
	return s.Raw(name, string(data))
}

// Raw writes one event with data verbatim (it must not contain newlines);
// empty data writes no data line at all, as Dify's "event: ping" has none.
func (s *Stream) Raw(name, data string) error {
	if err := s.Start(); err != nil {
		return err
	}
	var b strings.Builder
	if name != "" {
		b.WriteString("event: " + name + "\n")
	}
	if data != "" {
		b.WriteString("data: " + data + "\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return err
	}
	return s.rc.Flush()
}

// Wait blocks until gate fires (if non-nil), d passes (if positive), the
// client goes away (gone) or the fake closes (closed). With neither gate
// nor d it waits for the last two only.
func (s *Stream) Wait(gate <-chan struct{}, d time.Duration) (gone, closed bool) {
	var timeout <-chan time.Time
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-gate:
		return false, false
	case <-timeout:
		return false, false
	case <-s.r.Context().Done():
		return true, false
	case <-s.closing:
		return false, true
	}
}

// Drop cuts the connection without ending the response, as a crashed
// upstream or a reset proxy does: the client reads an unexpected EOF in
// the middle of the chunked body, not a clean end of stream.
func (s *Stream) Drop() error {
	if err := s.Start(); err != nil {
		return err
	}
	conn, _, err := s.rc.Hijack()
	if err != nil {
		return fmt.Errorf("fake: hijack: %w", err)
	}
	return conn.Close()
}

// WriteJSON answers with status and v as a JSON body, plus header.
func WriteJSON(w http.ResponseWriter, status int, header http.Header, v any) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteBody answers with status and body verbatim (JSON content type when
// it is valid JSON, plain text otherwise), plus header.
func WriteBody(w http.ResponseWriter, status int, header http.Header, body string) {
	for k, vs := range header {
		w.Header()[k] = vs
	}
	ct := "text/plain; charset=utf-8"
	if json.Valid([]byte(body)) {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
