package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds request bodies; tests never need more.
const maxBody = 8 << 20

// handleChat answers POST /v1/chat/completions.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "llmtest: read body: "+err.Error())
		return
	}
	req, err := decodeRequest(body, r.Header.Clone())
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "llmtest: "+err.Error())
		return
	}
	// Recorded before the key check so tests can see what a rejected
	// client sent.
	var id string
	s.update(func() {
		if s.cfg.noRecord {
			id = "chatcmpl-llmtest-unrecorded"
			return
		}
		s.reqs = append(s.reqs, req)
		id = fmt.Sprintf("chatcmpl-llmtest-%d", len(s.reqs))
	})

	if s.cfg.apiKey != "" && req.Authorization != "Bearer "+s.cfg.apiKey {
		presented := strings.TrimPrefix(req.Authorization, "Bearer ")
		writeError(w, http.StatusUnauthorized, "invalid_request_error",
			"Incorrect API key provided: "+presented+".")
		return
	}
	if !req.Stream {
		writeError(w, http.StatusBadRequest, "invalid_request_error",
			"llmtest: only streaming requests (stream: true) are supported")
		return
	}

	reply := s.cfg.reply(req)
	if reply.HoldHeaders != nil {
		select {
		case <-reply.HoldHeaders:
		case <-r.Context().Done():
			s.update(func() { s.aborted++ })
			return
		case <-s.closing:
			return
		}
	}
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	if reply.FailStatus != 0 {
		writeFailure(w, reply)
		return
	}
	aborted := s.stream(w, r, req, reply, id)
	select {
	case <-s.closing:
		// Close cut the connection; the client did not leave on its own.
		aborted = false
	default:
	}
	if aborted {
		s.update(func() { s.aborted++ })
	}
}

// writeFailure answers with the reply's failure status and body.
func writeFailure(w http.ResponseWriter, reply Reply) {
	if reply.FailBody == "" {
		writeError(w, reply.FailStatus, "server_error", "llmtest: injected failure")
		return
	}
	contentType := "text/plain; charset=utf-8"
	if json.Valid([]byte(reply.FailBody)) {
		contentType = "application/json"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(reply.FailStatus)
	_, _ = io.WriteString(w, reply.FailBody)
}

// writeError answers with an OpenAI-style error object.
func writeError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody(typ, message))
}

// errorBody is the API's error envelope, used for statuses and error events.
func errorBody(typ, message string) any {
	type apiError struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	}
	return struct {
		Error apiError `json:"error"`
	}{apiError{Message: message, Type: typ}}
}
