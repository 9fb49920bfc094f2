package server

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// patternReader yields n bytes: a PNG signature, then a repeating pattern,
// generated on the fly so the test holds no file of that size anywhere.
type patternReader struct {
	left  int64
	chunk []byte
	sent  bool
}

func newPatternReader(n int64) *patternReader {
	chunk := bytes.Repeat([]byte("chatbox upload streaming test "), 2200) // ~64 KiB
	return &patternReader{left: n, chunk: chunk}
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	src := p.chunk
	if !p.sent {
		src = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
		p.sent = true
	}
	n := copy(b, src[:min(int64(len(src)), p.left)])
	p.left -= int64(n)
	return n, nil
}

// heapPeak samples the heap in use until stop is called and reports the
// highest value seen.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestUploadMemory streams a 200 MiB file into the local blob store, as a
// raw body and as a multipart form, and checks that the server never holds
// it in memory: the heap in use (client and server share this process)
// grows by less than 32 MiB at its peak. Under the race detector, whose
// instrumentation makes multipart parsing about 15 times slower, the
// multipart file is 48 MiB: still more than the budget, so buffering it
// would still fail the test.
func TestUploadMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MiB")
	}
	multipartSize := int64(200 << 20)
	if raceEnabled {
		multipartSize = 48 << 20
	}
	llm := fakeLLM(t)
	srv := start(t, testEnv(t.TempDir(), llm.URL, map[string]string{"UPLOAD_MAX_BYTES": "314572800", "UPLOAD_RATE_LIMIT_BURST": "10"}))
	tok := token(t, "alice", time.Hour)
	t.Run("raw", func(t *testing.T) {
		checkUploadMemory(t, 200<<20, func() (int, uploaded) {
			return srv.uploadRequest(tok, "?name=huge.png", newPatternReader(200<<20), "application/octet-stream")
		})
	})
	t.Run("multipart", func(t *testing.T) {
		checkUploadMemory(t, multipartSize, func() (int, uploaded) {
			// The form is produced while it is sent.
			pr, pw := io.Pipe()
			form := multipart.NewWriter(pw)
			go func() {
				part, err := form.CreateFormFile("file", "huge.png")
				if err == nil {
					_, err = io.Copy(part, newPatternReader(multipartSize))
				}
				if err == nil {
					err = form.Close()
				}
				pw.CloseWithError(err)
			}()
			return srv.uploadRequest(tok, "", pr, form.FormDataContentType())
		})
	})
}

// checkUploadMemory runs upload, which must store size bytes, and checks
// the heap's peak growth meanwhile.
func checkUploadMemory(t *testing.T, size int64, upload func() (int, uploaded)) {
	const budget = 32 << 20
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := heapPeak()
	start := time.Now()
	status, out := upload()
	elapsed := time.Since(start)
	peak := stop()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if status != http.StatusCreated || out.Size != size {
		t.Fatalf("upload = %d %+v, want 201 with %d bytes", status, out, size)
	}
	growth := int64(peak) - int64(before.HeapInuse)
	t.Logf("%.0f MiB upload: heap in use %.1f MiB before, peak %.1f MiB (growth %.1f MiB); %.1f MiB allocated in total; %.0f MiB/s",
		mib(uint64(size)), mib(before.HeapInuse), mib(peak), float64(growth)/(1<<20),
		mib(after.TotalAlloc-before.TotalAlloc), mib(uint64(size))/elapsed.Seconds())
	if growth >= budget {
		t.Errorf("heap grew by %.1f MiB while uploading %.0f MiB, want under 32 MiB", float64(growth)/(1<<20), mib(uint64(size)))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
