package server

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's headless Chromium with chromedp against
// the real server. One browser process serves every test; each page gets
// its own browser context (separate storage, like a separate person), and
// fails its test on any console error or uncaught exception.

const (
	chromiumPath = "/usr/bin/chromium"
	// browserWait is a safety net against hangs, never an assertion on speed.
	browserWait = 30 * time.Second
)

// Screen sizes of the screenshots.
var (
	desktop = screen{name: "desktop", width: 1280, height: 800}
	phone   = screen{name: "phone", width: 390, height: 844, mobile: true}
)

type screen struct {
	name          string
	width, height int64
	mobile        bool
}

// browser is one running Chromium.
type browser struct {
	ctx context.Context
}

// startBrowser starts Chromium for the test, or skips the test when it is
// not installed (CI must have it: there the test fails instead).
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		found, lookErr := exec.LookPath("chromium")
		if lookErr != nil {
			msg := "browser tests need Chromium at " + chromiumPath + " (apt-get install -y chromium)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		path = found
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(desktop.width), int(desktop.height)),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{ctx: ctx}
}

// page is one tab in a browser context of its own.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu     sync.Mutex
	errors []string // console errors and uncaught exceptions
}

// page opens a tab in a new browser context. At the end of the test the
// tab closes and any console error it logged fails the test.
func (b *browser) page(t *testing.T, name string) *page {
	t.Helper()
	p := &page{t: t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	t.Cleanup(func() {
		cancel()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errors {
			t.Errorf("%s page: console error: %s", p.name, e)
		}
	})
	// The first run creates the tab and binds it to p.ctx's lifetime (a
	// shorter-lived context here would close the tab with it).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(desktop.width, desktop.height)); err != nil {
		t.Fatalf("%s page: open a tab: %v", name, err)
	}
	return p
}

// listen records console errors; it runs on chromedp's reading goroutine.
func (p *page) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
	default:
		return
	}
	p.mu.Lock()
	p.errors = append(p.errors, msg)
	p.mu.Unlock()
}

// do runs actions, failing the test on error.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s page: %v", p.name, err)
	}
}

// waitJS waits until the JavaScript expression is truthy.
func (p *page) waitJS(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(browserWait)))
		if err == nil {
			return
		}
		if ctx.Err() == nil && navigating(err) {
			time.Sleep(20 * time.Millisecond) // the next document is loading; poll in it
			continue
		}
		body, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		p.t.Fatalf("%s page: waiting for %s: %v\npage text:\n%s", p.name, what, err, body)
	}
}

// navigating reports whether err means the page changed under a poll.
func navigating(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "navigated or closed") || strings.Contains(msg, "context was destroyed") ||
		strings.Contains(msg, "Cannot find context")
}

// eval evaluates an expression (awaiting a promise) and returns its value.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s page: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// hasText returns a JavaScript expression true when an element matching
// selector contains text.
func hasText(selector, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].some((e) => e.textContent.includes(%q))`, selector, text)
}

// login signs in through the development login page, which sends the
// user to the chat page, or to the console for an admin.
func (p *page) login(baseURL, user, name string, admin bool) {
	p.t.Helper()
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(baseURL + "/dev/login"),
		chromedp.WaitVisible("#user"),
		chromedp.SendKeys("#user", user),
		chromedp.SendKeys("#name", name),
	}
	if admin {
		actions = append(actions, chromedp.Click("#admin"))
	}
	p.do(append(actions, chromedp.Click("#submit"))...)
	want := "/chat/"
	if admin {
		want = "/chat/console/"
	}
	p.waitJS("the page after login", fmt.Sprintf(`location.pathname === %q && document.querySelector('#conn').dataset.state === 'online'`, want))
}

// screenshot saves the page at the given screen size into the git-ignored
// screenshots/ folder (and docs/img/ with UPDATE_DOCS_IMG=1 for desktop),
// then returns to the desktop size.
func (p *page) screenshot(name string, s screen) {
	p.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if s.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	p.do(chromedp.EmulateViewport(s.width, s.height, opts...))
	// Two animation frames: the new layout has been painted.
	eval[bool](p, `new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))))`)
	ctx, cancel := context.WithTimeout(p.ctx, browserWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := fmt.Sprintf("%s-%s.png", name, s.name)
	writeScreenshot(p.t, filepath.Join("..", "..", "screenshots", file), png)
	if s == desktop && os.Getenv("UPDATE_DOCS_IMG") != "" {
		writeScreenshot(p.t, filepath.Join("..", "..", "docs", "img", name+".png"), png)
	}
	p.do(chromedp.EmulateViewport(desktop.width, desktop.height))
}

func writeScreenshot(t *testing.T, path string, png []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostPort returns the listening address of an instance.
func hostPort(t *testing.T, in *instance) string {
	t.Helper()
	u, err := url.Parse(in.baseURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
