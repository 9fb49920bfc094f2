package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// sourceAddrs is how many loopback source addresses (127.0.0.2...) the
// dialer spreads connections over. Each source address has its own range
// of ephemeral ports, so a storm of 10,000 reconnects right after 10,000
// disconnects (whose ports sit in TIME_WAIT) does not run out of them.
const sourceAddrs = 16

// handshakeTimeout bounds one WebSocket upgrade; in a storm thousands queue
// at once, so it is generous, and the time it took is what gets reported.
const handshakeTimeout = 60 * time.Second

// dialer opens the harness's WebSocket connections to one target.
type dialer struct {
	wsURL string
	ws    websocket.Dialer
	next  atomic.Uint32
}

func newDialer(wsURL string) (*dialer, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, fmt.Errorf("websocket url: %w", err)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	d := &dialer{wsURL: wsURL}
	spread := u.Hostname() == "127.0.0.1"
	d.ws = websocket.Dialer{
		HandshakeTimeout: handshakeTimeout,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var nd net.Dialer
			if spread {
				n := d.next.Add(1) % sourceAddrs
				nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+n))}
			}
			return nd.DialContext(ctx, network, addr)
		},
	}
	return d, nil
}

// dial opens one connection authenticated with token.
func (d *dialer) dial(ctx context.Context, token string) (*websocket.Conn, error) {
	h := http.Header{"Authorization": {"Bearer " + token}}
	c, resp, err := d.ws.DialContext(ctx, d.wsURL, h)
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, &dialError{label: fmt.Sprintf("dial:http_%d", resp.StatusCode), err: err}
		}
		return nil, &dialError{label: dialLabel(err), err: err}
	}
	return c, nil
}

// dialError carries the bounded label an error is counted under.
type dialError struct {
	label string
	err   error
}

func (e *dialError) Error() string { return e.label + ": " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func dialLabel(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "dial:refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "dial:reset"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "dial:no_source_port"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "dial:too_many_open_files"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "dial:timeout"
	case errors.Is(err, context.Canceled):
		return "dial:cancelled"
	}
	return "dial:other"
}

// requireLoopback refuses any host that is not a loopback address: the
// harness generates heavy load and must never aim it at another machine.
func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadtest: %q is not a loopback address; the harness only talks to 127.0.0.0/8 or ::1", host)
	}
	return nil
}
