package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzIntParam feeds arbitrary raw query strings to the paging parameter
// parser: it never panics, returns a value within bounds when it accepts,
// and otherwise answers 400 with the JSON error shape.
func FuzzIntParam(f *testing.F) {
	for _, q := range []string{
		"", "limit=10", "limit=0", "limit=-1", "limit=101", "limit=9223372036854775808",
		"limit=1e3", "limit=%00", "limit=%zz", "limit=1&limit=2", "limit= 5", "limit=+5",
		"after_seq=4611686018427387905", ";;;&&&==",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest(http.MethodGet, "/chat/sessions", nil)
		r.URL.RawQuery = rawQuery
		w := httptest.NewRecorder()
		n, ok := intParam(w, r, "limit", defaultPage, 1, maxPage)
		if ok {
			if n < 1 || n > maxPage {
				t.Fatalf("accepted limit %d from %q", n, rawQuery)
			}
			if q, _ := url.ParseQuery(rawQuery); q.Get("limit") == "" && n != defaultPage {
				t.Fatalf("no limit in %q but got %d", rawQuery, n)
			}
			return
		}
		if w.Code != http.StatusBadRequest {
			t.Fatalf("rejected %q with status %d, want 400", rawQuery, w.Code)
		}
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != "invalid_request" {
			t.Fatalf("error body %q is not the invalid_request shape: %v", w.Body.String(), err)
		}
	})
}
