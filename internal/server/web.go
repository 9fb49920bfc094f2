package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/web"
)

// devTokenTTL is the lifetime of tokens from the development login, as
// `chatbox token` mints by default.
const devTokenTTL = 24 * time.Hour

// webPages builds the browser pages. The development login signs tokens
// with the instance's own JWT secret and exists only outside production.
func (a *App) webPages() (http.Handler, error) {
	o := web.Options{
		Prefix:       a.cfg.Server.PathPrefix,
		Production:   a.cfg.Production(),
		EmbedOrigins: a.cfg.WebSocket.AllowedOrigins,
		Logger:       a.log,
	}
	if !a.cfg.Production() {
		secret := []byte(a.cfg.Auth.JWTSecret)
		o.DevTokens = func(userID, name string, admin bool) (string, error) {
			return auth.Mint(secret, auth.MintOptions{UserID: userID, Name: name, Admin: admin, TTL: devTokenTTL, Now: time.Now()})
		}
	}
	h, err := web.Handler(o)
	if err != nil {
		return nil, fmt.Errorf("web pages: %w", err)
	}
	return h, nil
}
