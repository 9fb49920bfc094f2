package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

const (
	defaultPage = 50
	maxPage     = 100
	maxMessages = 500
)

func (a *api) listSessions(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	limit, ok := intParam(w, r, "limit", defaultPage, 1, maxPage)
	if !ok {
		return
	}
	page, err := a.o.Service.Sessions(r.Context(), actor, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]wire.Session, 0, len(page.Sessions))
	for _, s := range page.Sessions {
		out = append(out, wire.FromSession(s))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"sessions": out, "next_cursor": page.NextCursor})
}

func (a *api) listMessages(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	after, ok := intParam(w, r, "after_seq", 0, 0, 1<<62)
	if !ok {
		return
	}
	limit, ok := intParam(w, r, "limit", 100, 1, maxMessages)
	if !ok {
		return
	}
	msgs, err := a.o.Service.Messages(r.Context(), actor, r.PathValue("id"), int64(after), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]wire.Message, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, wire.FromMessage(m))
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (a *api) endSession(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	s, err := a.o.Service.EndSession(r.Context(), actor, r.PathValue("id"))
	a.answerSession(w, r, s, err)
}

// intParam reads an optional integer query parameter within [lo, hi],
// answering 400 itself when it is malformed.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		wire.WriteError(w, http.StatusBadRequest, "invalid_request",
			name+" must be an integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		return 0, false
	}
	return n, true
}

// fail maps domain errors to HTTP answers; anything unexpected is logged
// with detail and answered without it.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, chat.ErrNotFound):
		wire.WriteError(w, http.StatusNotFound, "not_found", "session not found")
	case errors.Is(err, chat.ErrInvalid):
		wire.WriteError(w, http.StatusBadRequest, "invalid_request", err.Error())
	case errors.Is(err, chat.ErrSessionEnded):
		wire.WriteError(w, http.StatusConflict, "session_ended", "session has ended")
	case errors.Is(err, chat.ErrConflict):
		wire.WriteError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, chat.ErrForbidden):
		wire.WriteError(w, http.StatusForbidden, "forbidden", "this needs the admin role")
	default:
		a.o.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		wire.WriteError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}
