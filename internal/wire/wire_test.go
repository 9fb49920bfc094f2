package wire

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestJSONResponsesAreNotSniffed: every JSON answer, errors included,
// tells browsers not to guess another content type (attack run 2026-12).
func TestJSONResponsesAreNotSniffed(t *testing.T) {
	for name, write := range map[string]func(http.ResponseWriter){
		"json":  func(w http.ResponseWriter) { WriteJSON(w, http.StatusOK, map[string]string{"a": "<script>"}) },
		"error": func(w http.ResponseWriter) { WriteError(w, http.StatusBadRequest, "invalid_request", "bad") },
	} {
		rec := httptest.NewRecorder()
		write(rec)
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", name, got)
		}
	}
}
