// Package web serves Chatbox's browser pages from the binary: the user chat
// page (embeddable in other sites), the admin console and, in development
// mode only, a login page that mints tokens for trying the product.
//
// The pages are plain HTML, CSS and JavaScript modules embedded with the
// embed package: no build step, no third-party code, nothing loaded from
// another origin. Every page carries a Content-Security-Policy that allows
// scripts from this origin only (no inline scripts), and the JavaScript
// renders user and AI text as text nodes, never as HTML.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Options configure the pages.
type Options struct {
	// Prefix is the route prefix ("/chat", or "" for the root).
	Prefix string
	// Production disables the development login: its routes answer 404.
	Production bool
	// EmbedOrigins may frame the chat page and hand it a token with
	// postMessage (besides this origin). Empty: this origin only.
	EmbedOrigins []string
	// DevTokens mints a token for the development login. It is used only
	// when Production is false; nil disables the login as well.
	DevTokens func(userID, name string, admin bool) (string, error)
	Logger    *slog.Logger
}

// Handler returns the handler of the pages: the chat page at Prefix+"/",
// static files under Prefix+"/static/", the admin console at
// Prefix+"/console/" and the development login at Prefix+"/dev/login".
// Other paths under those roots answer a JSON 404 like the API does.
func Handler(o Options) (http.Handler, error) {
	static, err := newStaticFiles(assets)
	if err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	pages, err := newPages(assets, o)
	if err != nil {
		return nil, fmt.Errorf("web pages: %w", err)
	}
	p := o.Prefix
	mux := http.NewServeMux()
	mux.Handle("GET "+p+"/{$}", pages.serve("chat.html", o.EmbedOrigins))
	mux.Handle("GET "+p+"/console/{$}", pages.serve("console.html", nil))
	mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", static))
	if !o.Production && o.DevTokens != nil {
		mux.Handle("GET "+p+"/dev/login", pages.serve("login.html", nil))
		mux.Handle("POST "+p+"/dev/token", devTokenHandler(o.DevTokens, o.Logger))
	}
	mux.HandleFunc("GET "+p+"/console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p+"/console/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/", notFound)
	return mux, nil
}

// sub returns the assets below dir.
func sub(fsys fs.FS, dir string) (fs.FS, error) {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("assets %s: %w", dir, err)
	}
	return s, nil
}
