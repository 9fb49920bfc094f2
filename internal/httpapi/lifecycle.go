package httpapi

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// ConfirmDeleteMe is the value of the confirm parameter DELETE /me
// requires, so that no stray request (a crawler, a mistyped tool) erases
// a user's data.
const ConfirmDeleteMe = "delete-all-my-data"

// exportMe serves GET /me/export: the caller's own data.
func (a *api) exportMe(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	a.export(w, r, actor, actor.ID)
}

// adminExport serves GET /admin/users/{id}/export (audited).
func (a *api) adminExport(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	a.export(w, r, actor, r.PathValue("id"))
}

// export streams userID's sessions and decrypted messages as one JSON
// document: {"user_id","exported_at","sessions":[{"session":{...},
// "messages":[...]}...],"complete":true}. It is written as storage is read,
// never held whole in memory. A failure before the first byte is an
// ordinary error answer; after it, the response is cut off (no final
// "complete":true, and the chunked body ends abnormally), so a client
// never mistakes a partial export for a whole one.
func (a *api) export(w http.ResponseWriter, r *http.Request, actor chat.Actor, userID string) {
	ew := &exportWriter{w: w, userID: userID, at: time.Now().UTC()}
	err := a.o.Lifecycle.Export(r.Context(), actor, userID, ew)
	if err == nil {
		err = ew.finish()
	}
	if err == nil {
		return
	}
	if !ew.started {
		a.fail(w, r, err)
		return
	}
	a.o.Logger.Error("export failed midway; response cut off", "actor_id", actor.ID, "user_id", userID, "err", err)
	panic(http.ErrAbortHandler)
}

// exportWriter is the JSON form of an export; see export.
type exportWriter struct {
	w       http.ResponseWriter
	buf     *bufio.Writer
	userID  string
	at      time.Time
	started bool
	count   int // sessions written
}

// start writes the headers and the document's opening, once.
func (e *exportWriter) start() error {
	if e.started {
		return nil
	}
	e.started = true
	h := e.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="chatbox-export.json"`)
	e.w.WriteHeader(http.StatusOK)
	e.buf = bufio.NewWriterSize(e.w, 32<<10)
	head, err := json.Marshal(struct {
		UserID     string    `json:"user_id"`
		ExportedAt time.Time `json:"exported_at"`
	}{e.userID, e.at})
	if err != nil {
		return fmt.Errorf("encode export header: %w", err)
	}
	// Reopen the object to continue it with the sessions array.
	_, err = e.buf.Write(append(head[:len(head)-1], `,"sessions":[`...))
	return err
}

// WriteSession implements chat.ExportWriter.
func (e *exportWriter) WriteSession(s chat.Session, messages iter.Seq2[chat.Message, error]) error {
	if err := e.start(); err != nil {
		return err
	}
	sess, err := json.Marshal(wire.FromSession(s))
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if e.count > 0 {
		e.buf.WriteByte(',')
	}
	e.count++
	e.buf.WriteString(`{"session":`)
	e.buf.Write(sess)
	e.buf.WriteString(`,"messages":[`)
	n := 0
	for m, err := range messages {
		if err != nil {
			return err
		}
		b, err := json.Marshal(wire.FromMessage(m))
		if err != nil {
			return fmt.Errorf("encode message: %w", err)
		}
		if n > 0 {
			e.buf.WriteByte(',')
		}
		n++
		if _, err := e.buf.Write(b); err != nil {
			return fmt.Errorf("write export: %w", err)
		}
	}
	if _, err := e.buf.WriteString("]}"); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	// Hand each finished session to the client, so a large export
	// streams instead of piling up in the buffer.
	if err := e.buf.Flush(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// finish closes the document, marking it complete.
func (e *exportWriter) finish() error {
	if err := e.start(); err != nil {
		return err
	}
	if _, err := e.buf.WriteString(`],"complete":true}` + "\n"); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	if err := e.buf.Flush(); err != nil {
		return fmt.Errorf("write export: %w", err)
	}
	return nil
}

// deleteMe serves DELETE /me?confirm=delete-all-my-data: the caller's own
// data is erased and their sockets closed.
func (a *api) deleteMe(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	if r.URL.Query().Get("confirm") != ConfirmDeleteMe {
		wire.WriteError(w, http.StatusBadRequest, "confirmation_required",
			"erasing all your data cannot be undone; repeat the request with ?confirm="+ConfirmDeleteMe)
		return
	}
	a.deleteUser(w, r, actor, actor.ID)
}

// adminDeleteUser serves DELETE /admin/users/{id} (audited).
func (a *api) adminDeleteUser(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	a.deleteUser(w, r, actor, r.PathValue("id"))
}

func (a *api) deleteUser(w http.ResponseWriter, r *http.Request, actor chat.Actor, userID string) {
	res, err := a.o.Lifecycle.DeleteUser(r.Context(), actor, userID)
	if err != nil {
		if errors.Is(err, chat.ErrInvalid) || errors.Is(err, chat.ErrForbidden) {
			a.fail(w, r, err)
			return
		}
		// Possibly half done; repeating the request finishes it.
		a.o.Logger.Error("erasing user data failed", "actor_id", actor.ID, "user_id", userID, "err", err)
		wire.WriteError(w, http.StatusServiceUnavailable, "unavailable", "erasure not finished; repeat the request to complete it")
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]any{"user_id": userID, "sessions_deleted": res.Sessions})
}

// lifecycleRoutes adds the export and erasure routes under prefix p.
func (a *api) lifecycleRoutes(mux *http.ServeMux, p string) {
	if a.o.Lifecycle == nil {
		return
	}
	mux.Handle("GET "+p+"/me/export", a.authed(a.exportMe))
	mux.Handle("DELETE "+p+"/me", a.authed(a.deleteMe))
	mux.Handle("GET "+p+"/admin/users/{id}/export", a.adminOnly(a.adminExport))
	mux.Handle("DELETE "+p+"/admin/users/{id}", a.adminOnly(a.adminDeleteUser))
}
