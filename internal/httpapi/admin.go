package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// adminOnly runs h for admins and answers 403 to everyone else.
func (a *api) adminOnly(h func(http.ResponseWriter, *http.Request, chat.Actor)) http.Handler {
	return a.authed(func(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
		if !actor.Admin {
			wire.WriteError(w, http.StatusForbidden, "forbidden", "this needs the admin role")
			return
		}
		h(w, r, actor)
	})
}

// adminListSessions serves GET /admin/sessions with filters: status, owner,
// admin_id, help_requested, user_id, from and to (RFC 3339), cursor, limit.
func (a *api) adminListSessions(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	q, ok := sessionQuery(w, r)
	if !ok {
		return
	}
	page, err := a.o.Service.AdminSessions(r.Context(), actor, q)
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

// sessionQuery reads the admin listing's filters, answering 400 itself
// when one is malformed.
func sessionQuery(w http.ResponseWriter, r *http.Request) (chat.SessionQuery, bool) {
	v := r.URL.Query()
	limit, ok := intParam(w, r, "limit", defaultPage, 1, maxPage)
	if !ok {
		return chat.SessionQuery{}, false
	}
	q := chat.SessionQuery{
		UserID: v.Get("user_id"), AdminID: v.Get("admin_id"), Cursor: v.Get("cursor"), Limit: limit,
		Status: chat.SessionStatus(v.Get("status")), Owner: chat.Owner(v.Get("owner")),
	}
	bad := func(msg string) (chat.SessionQuery, bool) {
		wire.WriteError(w, http.StatusBadRequest, "invalid_request", msg)
		return chat.SessionQuery{}, false
	}
	switch q.Status {
	case "", chat.StatusActive, chat.StatusEnded:
	default:
		return bad("status must be active or ended")
	}
	switch q.Owner {
	case "", chat.OwnerAI, chat.OwnerHuman:
	default:
		return bad("owner must be ai or human")
	}
	if raw := v.Get("help_requested"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return bad("help_requested must be true or false")
		}
		q.HelpRequested = &b
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.CreatedFrom}, {"to", &q.CreatedTo}} {
		if raw := v.Get(p.name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				return bad(p.name + " must be an RFC 3339 time, e.g. 2026-11-25T00:00:00Z")
			}
			*p.dst = t
		}
	}
	return q, true
}

func (a *api) adminTakeover(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	s, err := a.o.Service.Takeover(r.Context(), actor, r.PathValue("id"))
	a.answerSession(w, r, s, err)
}

func (a *api) adminRelease(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	s, err := a.o.Service.Release(r.Context(), actor, r.PathValue("id"))
	a.answerSession(w, r, s, err)
}

func (a *api) answerSession(w http.ResponseWriter, r *http.Request, s chat.Session, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"session": wire.FromSession(s)})
}

// adminOverview serves GET /admin/metrics: the console's numbers, from
// storage (the same on every instance).
func (a *api) adminOverview(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	o, err := a.o.Service.Overview(r.Context(), actor)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{
		"active_sessions":         o.ActiveSessions,
		"sessions_today":          o.SessionsToday,
		"help_waiting":            o.HelpWaiting,
		"human_owned":             o.HumanOwned,
		"takeovers_today":         o.TakeoversToday,
		"tokens_today":            map[string]int{"input": o.TokensToday.InputTokens, "output": o.TokensToday.OutputTokens},
		"first_token_p50_seconds": a.firstTokenMedian(),
	})
}

// auditEntry is an audit entry as the API shows it.
type auditEntry struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	SessionID string    `json:"session_id,omitempty"`
	Detail    string    `json:"detail,omitempty"`
}

// adminAudit serves GET /admin/audit?actor_id=&session_id=&action=&since=&cursor=&limit=.
func (a *api) adminAudit(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	v := r.URL.Query()
	limit, ok := intParam(w, r, "limit", defaultPage, 1, maxPage)
	if !ok {
		return
	}
	q := chat.AuditQuery{ActorID: v.Get("actor_id"), SessionID: v.Get("session_id"), Action: v.Get("action"), Cursor: v.Get("cursor"), Limit: limit}
	if raw := v.Get("since"); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			wire.WriteError(w, http.StatusBadRequest, "invalid_request", "since must be an RFC 3339 time")
			return
		}
		q.Since = t
	}
	page, err := a.o.Service.Audit(r.Context(), actor, q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]auditEntry, 0, len(page.Entries))
	for _, e := range page.Entries {
		out = append(out, auditEntry{e.ID, e.At, e.ActorID, e.ActorName, e.Action, e.SessionID, e.Detail})
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"entries": out, "next_cursor": page.NextCursor})
}

func (a *api) firstTokenMedian() float64 {
	if a.o.FirstTokenMedian == nil {
		return 0
	}
	return a.o.FirstTokenMedian()
}
