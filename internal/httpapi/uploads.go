package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/wire"
)

// multipartOverhead is what a multipart body may add around the file:
// boundaries, part headers, a few small fields.
const multipartOverhead = 64 << 10

// uploadResponse is the answer to POST /chat/uploads.
type uploadResponse struct {
	FileID      string `json:"file_id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// createUpload streams one file into storage: the "file" part of a
// multipart/form-data body, or the whole body with the name in ?name= (or
// a Content-Disposition header). Nothing is buffered beyond a few KiB; the
// size limit is enforced while the bytes arrive.
func (a *api) createUpload(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	up := a.o.Uploads
	if up == nil {
		wire.WriteError(w, http.StatusNotFound, "not_found", "file uploads are not enabled")
		return
	}
	limit := up.MaxBytes()
	if r.ContentLength > limit+multipartOverhead {
		a.uploadFailed(w, r, tooLarge(limit))
		return
	}
	// Bounds the whole request, fields and boundaries included; the file
	// itself is held to the exact limit by the blob store.
	r.Body = http.MaxBytesReader(w, r.Body, limit+multipartOverhead)
	name, body, err := uploadBody(r)
	if err != nil {
		wire.WriteError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	rec, err := up.Create(r.Context(), actor, chat.NewUpload{Name: name, Body: body})
	if err != nil {
		a.uploadFailed(w, r, err)
		return
	}
	wire.WriteJSON(w, http.StatusCreated, uploadResponse{
		FileID: rec.ID, Name: rec.Name, Size: rec.Size, ContentType: rec.ContentType,
	})
}

// uploadBody finds the file in the request without reading it.
func uploadBody(r *http.Request) (string, io.Reader, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "multipart/form-data" {
		name := r.URL.Query().Get("name")
		if name == "" {
			if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil {
				name = params["filename"]
			}
		}
		return name, r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, errors.New("malformed multipart body")
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return "", nil, errors.New(`multipart body has no "file" part`)
		}
		if part.FormName() == "file" {
			return part.FileName(), part, nil
		}
		// Small fields before the file are skipped, within the request's
		// overall bound.
		if _, err := io.Copy(io.Discard, part); err != nil {
			return "", nil, errors.New("malformed multipart body")
		}
	}
}

func tooLarge(limit int64) error {
	return &http.MaxBytesError{Limit: limit}
}

// uploadFailed answers a refused or failed upload.
func (a *api) uploadFailed(w http.ResponseWriter, r *http.Request, err error) {
	var rl *chat.RateLimitedError
	var mb *http.MaxBytesError
	switch {
	case errors.Is(err, chat.ErrTooLarge) || errors.As(err, &mb):
		limit := a.o.Uploads.MaxBytes()
		// The client may still be sending: close the connection rather
		// than read the rest of a body that is refused anyway.
		w.Header().Set("Connection", "close")
		wire.WriteError(w, http.StatusRequestEntityTooLarge, "too_large",
			"file is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes")
	case errors.Is(err, chat.ErrRejected):
		wire.WriteError(w, http.StatusUnsupportedMediaType, "unsupported_type",
			"This kind of file is not accepted. You can send images (PNG, JPEG, GIF, WebP), PDF files, plain text and office documents.")
	case errors.Is(err, chat.ErrUploadQuota):
		wire.WriteError(w, http.StatusForbidden, "quota_exceeded",
			"Your stored files have reached their limit. Files you never sent are deleted after a while; you can also erase old conversations.")
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(max(rl.RetryAfter.Round(time.Second)/time.Second, 1))))
		wire.WriteError(w, http.StatusTooManyRequests, "rate_limited", "too many uploads; retry later")
	default:
		a.fail(w, r, err)
	}
}

// getUpload serves a file to its uploader or an admin: a redirect to a
// short-lived URL when the blob store serves files itself (S3), the bytes
// otherwise. Anyone else gets 404, as for a file that does not exist.
func (a *api) getUpload(w http.ResponseWriter, r *http.Request, actor chat.Actor) {
	if a.o.Uploads == nil {
		wire.WriteError(w, http.StatusNotFound, "not_found", "file not found")
		return
	}
	d, err := a.o.Uploads.Download(r.Context(), actor, r.PathValue("file_id"))
	if errors.Is(err, chat.ErrNotFound) {
		wire.WriteError(w, http.StatusNotFound, "not_found", "file not found")
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	if d.URL != "" {
		http.Redirect(w, r, d.URL, http.StatusFound)
		return
	}
	defer d.Body.Close()
	h.Set("Content-Type", d.Headers.ContentType)
	h.Set("Content-Disposition", d.Headers.ContentDisposition)
	// Even if a browser opened a stored file as a page, it could run
	// nothing and reach nothing.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.FormatInt(d.Upload.Size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, d.Body); err != nil {
		a.o.Logger.Debug("file download interrupted", "file_id", d.Upload.ID, "err", err)
	}
}
