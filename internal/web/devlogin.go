package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chatboxhq/chatbox/internal/wire"
)

// devTokenRequest is the development login's form.
type devTokenRequest struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	Admin  bool   `json:"admin"`
}

// maxDevTokenBody bounds the request; the form is a few dozen bytes.
const maxDevTokenBody = 4 << 10

// decodeDevTokenRequest parses and validates the login form.
func decodeDevTokenRequest(r io.Reader) (devTokenRequest, error) {
	var req devTokenRequest
	dec := json.NewDecoder(io.LimitReader(r, maxDevTokenBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("body: %w", err)
	}
	req.UserID = strings.TrimSpace(req.UserID)
	req.Name = strings.TrimSpace(req.Name)
	if err := checkUserID(req.UserID); err != nil {
		return req, err
	}
	if !utf8.ValidString(req.Name) || utf8.RuneCountInString(req.Name) > 64 || strings.ContainsFunc(req.Name, unicode.IsControl) {
		return req, errors.New("name: at most 64 printable characters")
	}
	return req, nil
}

// checkUserID accepts the ids a typical issuer produces: 1-64 letters,
// digits and . _ @ -.
func checkUserID(id string) error {
	if id == "" || len(id) > 64 {
		return errors.New("user_id: 1 to 64 characters")
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._@-", r)) {
			return errors.New("user_id: letters, digits and . _ @ - only")
		}
	}
	return nil
}

// sameOrigin reports whether a browser sent r from a page of this host.
// Browsers always send Origin with a POST; a missing one is refused, so
// another site cannot mint tokens through a visitor's browser either way.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return false
	}
	u, err := url.Parse(r.Header.Get("Origin"))
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// devTokenHandler mints a token for the development login page.
func devTokenHandler(mint func(userID, name string, admin bool) (string, error), log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sameOrigin(r) {
			wire.WriteError(w, http.StatusForbidden, "forbidden", "the development login only answers its own page")
			return
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			wire.WriteError(w, http.StatusUnsupportedMediaType, "invalid_request", "send JSON")
			return
		}
		req, err := decodeDevTokenRequest(r.Body)
		if err != nil {
			wire.WriteError(w, http.StatusBadRequest, "invalid_request", err.Error())
			return
		}
		tok, err := mint(req.UserID, req.Name, req.Admin)
		if err != nil {
			log.Error("development login: mint token", "err", err)
			wire.WriteError(w, http.StatusInternalServerError, "internal", "could not mint a token")
			return
		}
		log.Info("development login: minted a token", "user_id", req.UserID, "admin", req.Admin)
		wire.WriteJSON(w, http.StatusOK, map[string]string{"token": tok})
	})
}
