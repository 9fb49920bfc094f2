package notify_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "twilio-secret-token-do-not-log"
	testFrom  = "+15005550006"
)

// sms is one message the fake Twilio accepted.
type sms struct{ To, From, Body string }

// twilioFake is a local stand-in for Twilio's Messages endpoint. It checks
// what the real one checks (path, basic auth, form fields) and answers
// with the scripted statuses first, then 201.
type twilioFake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	script []int // statuses to answer before accepting
	got    []sms
	calls  int
}

func newTwilioFake(t *testing.T, script ...int) *twilioFake {
	f := &twilioFake{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.handle))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *twilioFake) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":20404,"message":"The requested resource ` + r.URL.Path + ` was not found","status":404}`))
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != testSID || pass != testToken {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"code":20003,"message":"Authenticate","status":401}`))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("form: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(f.script) > 0 {
		status := f.script[0]
		f.script = f.script[1:]
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"code":20429,"message":"Too Many Requests","status":` + http.StatusText(status) + `}`))
		return
	}
	f.got = append(f.got, sms{To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body")})
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(`{"sid":"SM0123","status":"queued","to":"` + r.PostForm.Get("To") + `"}`))
}

// Sent returns the accepted messages.
func (f *twilioFake) Sent() []sms {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sms(nil), f.got...)
}

// Calls counts requests that passed authentication.
func (f *twilioFake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}
