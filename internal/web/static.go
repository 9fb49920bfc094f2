package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

// embedScript is the one asset other sites load (see js/embed.js).
const embedScript = "js/embed.js"

// staticFiles serves the embedded CSS and JavaScript with strong ETags
// computed once, so browsers revalidate cheaply (Cache-Control: no-cache)
// and a new binary's files are never served stale.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

func newStaticFiles(root fs.FS) (*staticFiles, error) {
	dir, err := sub(root, "assets")
	if err != nil {
		return nil, err
	}
	s := &staticFiles{files: map[string]staticFile{}}
	err = fs.WalkDir(dir, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) == ".html" {
			return err
		}
		body, err := fs.ReadFile(dir, name)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(name))
		if path.Ext(name) == ".js" {
			ctype = "text/javascript; charset=utf-8" // modules need a JavaScript type whatever the host's mime table says
		}
		s.files[name] = staticFile{body: body, ctype: ctype,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk assets: %w", err)
	}
	return s, nil
}

// ServeHTTP serves one file by its path below the static root.
func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s.files[r.URL.Path]
	if !ok {
		notFound(w, r)
		return
	}
	h := w.Header()
	setSecurityHeaders(h)
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	if r.URL.Path == embedScript {
		h.Set("Cross-Origin-Resource-Policy", "cross-origin") // host sites load it
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
