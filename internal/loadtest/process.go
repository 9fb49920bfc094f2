package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// readyPoll is how often a starting server's readiness is polled; small, as
// start-up time is one of the reported numbers.
const readyPoll = time.Millisecond

// process is a server the harness started as a child process. Client and
// server run in separate processes so each has its own file descriptor
// limit and the server's memory and CPU are its own.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	err     error // set before exited is closed
}

// startProcess runs path with args and exactly env (nothing is inherited,
// so no stray credential reaches the server), its output appended to
// logPath.
func startProcess(name, path string, args, env []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("loadtest: start %s (%s): %w", name, path, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// pid is the child's process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// waitReady polls url until it answers 200 and returns how long that took
// since the process was started; it fails if the process exits first.
func (p *process) waitReady(ctx context.Context, url string, started time.Time) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, fmt.Errorf("loadtest: readiness request: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(started), nil
			}
		}
		select {
		case <-p.exited:
			return 0, fmt.Errorf("loadtest: %s exited before it was ready (%v): %s", p.name, p.err, lastLine(p.logPath))
		case <-ctx.Done():
			return 0, fmt.Errorf("loadtest: waiting for %s to be ready: %w", p.name, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop asks the process to shut down (SIGTERM, as Kubernetes does) and
// kills it if it has not exited within grace.
func (p *process) stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("loadtest: stop %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("loadtest: %s did not stop within %s; killed it", p.name, grace)
	}
}

// freePort finds a TCP port free on every address. Chatbox binds its port
// on all addresses, and a port free on 127.0.0.1 alone may still be held
// by a client socket (say in TIME_WAIT) on another loopback address.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, fmt.Errorf("loadtest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// lastLine is the last line of a log file, where a server that refused to
// start says why.
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "no log: " + err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return lines[len(lines)-1]
}
