package loadtest

import "testing"

func TestDecodeServerFrame(t *testing.T) {
	f, err := decodeServerFrame([]byte(`{"type":"ai_response","session_id":"s","reply_to":3,"stream_id":"x","delta":" ~abc","done":false,"new":1}`))
	if err != nil || f.Type != "ai_response" || f.ReplyTo != 3 || f.Delta != " ~abc" {
		t.Fatalf("got %+v, %v", f, err)
	}
	for _, bad := range []string{``, `[]`, `{}`, `{"type":""}`, `{"type":1}`} {
		if _, err := decodeServerFrame([]byte(bad)); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// FuzzDecodeServerFrame: frames come from the server under test.
func FuzzDecodeServerFrame(f *testing.F) {
	f.Add([]byte(`{"type":"message","session_id":"s","seq":1,"sender":"user","content":"hi"}`))
	f.Add([]byte(`{"type":"error","code":"rate_limited","retry_after_ms":10}`))
	f.Add([]byte(`{"type":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if fr, err := decodeServerFrame(data); err == nil && fr.Type == "" {
			t.Fatal("decoded a frame without a type")
		}
	})
}

func TestBoundedCode(t *testing.T) {
	for code, want := range map[string]string{"rate_limited": "rate_limited", "": "unexpected",
		"Weird-Code": "unexpected", "a_very_long_code_that_goes_on_and_on_forever": "unexpected"} {
		if got := boundedCode(code); got != want {
			t.Errorf("boundedCode(%q) = %q, want %q", code, got, want)
		}
	}
}
