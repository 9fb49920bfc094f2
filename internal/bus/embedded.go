package bus

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// DefaultReadyTimeout bounds how long StartEmbedded waits for the server.
const DefaultReadyTimeout = 10 * time.Second

// readyPoll is how often StartEmbedded looks for a fatal start-up error
// while waiting for readiness.
const readyPoll = 50 * time.Millisecond

// EmbeddedOptions configure StartEmbedded. The zero value runs a server
// reachable only from inside the process.
type EmbeddedOptions struct {
	// Listen is a host:port for a TCP listener, port 0 meaning any free
	// port. Empty (the default) means no listener: clients join through
	// EmbeddedServer.Connect only. The listener has no authentication, so
	// bind it to loopback.
	Listen string
	// Logger receives the server's log (its notices at debug level, its
	// warnings and errors as such) and the connection events of
	// EmbeddedServer.Connect. Default: discard.
	Logger *slog.Logger
	// ReadyTimeout: default DefaultReadyTimeout.
	ReadyTimeout time.Duration
}

// EmbeddedServer is a NATS server running inside this process, without
// JetStream, clustering or monitoring: just core pub/sub for one node.
type EmbeddedServer struct {
	srv       *server.Server
	log       *slog.Logger
	listening bool
}

// StartEmbedded starts an embedded NATS server and waits until it accepts
// clients. Call Shutdown when done.
func StartEmbedded(opts EmbeddedOptions) (*EmbeddedServer, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opts.ReadyTimeout
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}

	so := &server.Options{
		ServerName: "chatbox-embedded",
		DontListen: opts.Listen == "",
		JetStream:  false,
		NoSigs:     true, // signals belong to the host process
	}
	if opts.Listen != "" {
		host, port, err := splitListen(opts.Listen)
		if err != nil {
			return nil, err
		}
		so.Host, so.Port = host, port
	}

	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("bus: create embedded NATS server: %w", err)
	}
	slogger := &serverLogger{log: logger.With("component", "nats-server")}
	srv.SetLoggerV2(slogger, false, false, false)
	srv.Start() // returns once started; accepting runs in the background

	deadline := time.Now().Add(timeout)
	for !srv.ReadyForConnections(readyPoll) {
		if msg := slogger.fatalMessage(); msg != "" {
			shutdown(srv)
			return nil, fmt.Errorf("bus: start embedded NATS server: %s", msg)
		}
		if time.Now().After(deadline) {
			shutdown(srv)
			return nil, fmt.Errorf("bus: embedded NATS server not ready after %s", timeout)
		}
	}
	return &EmbeddedServer{
		srv:       srv,
		log:       logger.With("component", "bus", "nats_url", "embedded"),
		listening: opts.Listen != "",
	}, nil
}

// splitListen turns "host:port" into nats-server options. nats-server reads
// port 0 as "the default port 4222", so "any free port" is spelled
// server.RANDOM_PORT.
func splitListen(listen string) (string, int, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("bus: embedded NATS listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bus: embedded NATS listen address %q: invalid port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Connect returns a new client connection named name: in-process (no
// socket) when the server has no listener, over TCP to ClientURL when it
// has. It uses the same reconnect policy and logging as Connect, so the
// code above it cannot tell an embedded server from an external one.
func (e *EmbeddedServer) Connect(name string) (*nats.Conn, error) {
	opts := connOptions(name, e.log)
	url := e.ClientURL()
	if !e.listening {
		opts = append(opts, nats.InProcessServer(e.srv))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect to embedded NATS server: %w", err)
	}
	return nc, nil
}

// ClientURL returns the URL TCP clients use, such as
// "nats://127.0.0.1:41234", or "" when the server has no listener.
func (e *EmbeddedServer) ClientURL() string {
	if !e.listening {
		return ""
	}
	return e.srv.ClientURL()
}

// Shutdown stops the server, disconnecting its clients, and returns once it
// has stopped. Clients keep trying to reconnect until they are closed.
// Calling it twice is harmless.
func (e *EmbeddedServer) Shutdown() { shutdown(e.srv) }

func shutdown(srv *server.Server) {
	srv.Shutdown()
	srv.WaitForShutdown()
}
