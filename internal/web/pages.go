package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

// pageConfig is what a page's scripts need from the server. It travels in a
// <meta> tag (escaped by html/template) because inline scripts are banned.
type pageConfig struct {
	Prefix       string   `json:"prefix"`
	Dev          bool     `json:"dev"`
	EmbedOrigins []string `json:"embed_origins"`
}

// pages renders the HTML pages once, at start: they differ only by the
// configuration, never per request.
type pages struct {
	rendered map[string][]byte
}

func newPages(root fs.FS, o Options) (*pages, error) {
	dir, err := sub(root, "assets")
	if err != nil {
		return nil, err
	}
	origins := o.EmbedOrigins
	if origins == nil {
		origins = []string{}
	}
	cfg, err := json.Marshal(pageConfig{Prefix: o.Prefix, Dev: !o.Production && o.DevTokens != nil, EmbedOrigins: origins})
	if err != nil {
		return nil, fmt.Errorf("page config: %w", err)
	}
	tmpl, err := template.ParseFS(dir, "*.html")
	if err != nil {
		return nil, fmt.Errorf("parse pages: %w", err)
	}
	p := &pages{rendered: map[string][]byte{}}
	for _, t := range tmpl.Templates() {
		var b bytes.Buffer
		data := map[string]string{"Prefix": o.Prefix, "Config": string(cfg)}
		if err := t.Execute(&b, data); err != nil {
			return nil, fmt.Errorf("render %s: %w", t.Name(), err)
		}
		p.rendered[t.Name()] = b.Bytes()
	}
	return p, nil
}

// serve returns the handler of one page; frameAncestors are the other
// origins allowed to frame it.
func (p *pages) serve(name string, frameAncestors []string) http.Handler {
	body, ok := p.rendered[name]
	if !ok {
		return http.HandlerFunc(notFound)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		setSecurityHeaders(h)
		h.Set("Content-Security-Policy", pageCSP(r.Host, frameAncestors))
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	})
}
