package fake

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRecordWaits(t *testing.T) {
	var r Record[string]
	go func() {
		r.Add("a")
		r.Add("b")
		r.Abort()
	}()
	reqs, err := r.WaitRequests(2, 10*time.Second)
	if err != nil || strings.Join(reqs, ",") != "a,b" {
		t.Fatalf("requests %v error %v", reqs, err)
	}
	if err := r.WaitAborted(1, 10*time.Second); err != nil || r.Aborted() != 1 {
		t.Fatalf("aborted %d error %v", r.Aborted(), err)
	}
	if _, err := r.WaitRequests(3, time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("waiting for a request that never comes: %v", err)
	}
}

func TestStreamEventsAndDrop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := NewStream(w, r, nil)
		_ = s.Raw("ping", "")
		_ = s.Event("", map[string]string{"a": "b"})
		_ = s.Drop()
	}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a dropped stream read as %v", err)
	}
	if want := "event: ping\n\ndata: {\"a\":\"b\"}\n\n"; string(body) != want || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("body %q content type %q", body, res.Header.Get("Content-Type"))
	}
}
