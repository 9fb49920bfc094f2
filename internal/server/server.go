// Package server assembles Chatbox from its parts (configuration, storage,
// encryption, bus, models, transports) and runs it with a graceful
// shutdown. cmd/chatbox stays a thin shell around it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/blob"
	"github.com/chatboxhq/chatbox/internal/bus"
	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/crypto"
	"github.com/chatboxhq/chatbox/internal/httpapi"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
	"github.com/chatboxhq/chatbox/internal/metrics"
	"github.com/chatboxhq/chatbox/internal/notify"
	"github.com/chatboxhq/chatbox/internal/store/sqlite"
	"github.com/chatboxhq/chatbox/internal/transport/ws"
)

// Shutdown phases after the drain: closing sockets and stopping HTTP.
const (
	closeSocketsTimeout = 5 * time.Second
	httpShutdownTimeout = 5 * time.Second
)

// App is one running Chatbox instance.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	repo     chat.Repository
	nats     *bus.EmbeddedServer // nil with an external NATS_URL
	nc       *nats.Conn
	bus      *bus.Bus
	svc      *chat.Service
	outbox   notify.Outbox // notification outbox, in the same storage as the chat
	notifier *notify.Notifier
	llm      *failover.Group // the providers' circuit breakers; nil with the demo model
	ws       *ws.Server
	handler  http.Handler
	draining atomic.Bool
	closers  []func()

	// lifecycle ends idle sessions, applies retention, exports and erases.
	lifecycle *chat.Lifecycle
	// uploads stores file attachments (uploads.go).
	uploads *chat.Uploads
	// blobProbe checks that uploads can be stored, for readiness.
	blobProbe *blob.Prober
}

// New builds an App from cfg. On error everything already opened is closed.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (app *App, err error) {
	a := &App{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.metrics = metrics.New(a.registry)

	if err := a.openStorage(ctx); err != nil {
		return nil, err
	}
	sealer, err := crypto.NewKeyring(cfg.Storage.EncryptionKey, cfg.Storage.EncryptionKeysOld...)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	log.Info("encryption keys loaded", "primary_key_id", sealer.PrimaryID(), "old_keys", len(cfg.Storage.EncryptionKeysOld))
	if err := a.openNotifier(sealer); err != nil {
		return nil, err
	}
	if err := a.openBus(); err != nil {
		return nil, err
	}
	if err := a.openUploads(ctx); err != nil {
		return nil, err
	}
	models, llmGroup, err := buildModels(cfg.LLM, a.metrics, log)
	if err != nil {
		return nil, err
	}
	a.llm = llmGroup
	if llmGroup != nil {
		if err := metrics.RegisterBreakers(a.registry, breakerStates(llmGroup)); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	models = a.watchModels(models)
	a.svc, err = chat.NewService(chat.Config{
		Repo:             a.repo,
		Sealer:           sealer,
		Bus:              a.bus,
		Models:           models,
		DefaultModel:     cfg.LLM.DefaultModel,
		History:          chat.HistoryBudget{MaxMessages: cfg.LLM.HistoryMaxMessages, MaxChars: cfg.LLM.HistoryMaxChars},
		Logger:           log,
		DailyTokenBudget: cfg.LLM.DailyTokenBudget,
		ReplyLease:       chat.ReplyLeaseConfig{TTL: cfg.LLM.ReplyLeaseTTL},
		Uploads:          a.uploads,
		Hooks: chat.Hooks{
			Takeover:      func(chat.Session) { a.metrics.AdminTakeovers.Inc() },
			HelpRequested: a.helpRequested,
			HelpAnswered:  a.helpAnswered,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("LLM_DEFAULT_MODEL: %w", err)
	}
	tokens, err := a.tokenOptions()
	if err != nil {
		return nil, err
	}
	verifier := auth.New(tokens)
	a.ws = ws.NewServer(a.svc, a.bus, verifier, a.metrics, log, ws.Options{
		AllowedOrigins:        cfg.WebSocket.AllowedOrigins,
		MaxMessageBytes:       cfg.WebSocket.MaxMessageBytes,
		MaxConnectionsPerUser: cfg.WebSocket.MaxConnectionsPerUser,
		SendQueue:             cfg.WebSocket.SendQueue,
		PingInterval:          cfg.WebSocket.PingInterval,
		MessagesPerMinute:     cfg.WebSocket.MessagesPerMinute,
		MessageBurst:          cfg.WebSocket.MessageBurst,
	})
	if err := a.openLifecycle(); err != nil {
		return nil, err
	}
	pages, err := a.webPages()
	if err != nil {
		return nil, err
	}
	readyChecks, err := a.readyChecks()
	if err != nil {
		return nil, err
	}
	a.handler = httpapi.New(httpapi.Options{
		Prefix:           cfg.Server.PathPrefix,
		Service:          a.svc,
		Verifier:         verifier,
		WebSocket:        a.ws,
		Metrics:          promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}),
		ReadyChecks:      readyChecks,
		Draining:         a.draining.Load,
		CORSOrigins:      cfg.Server.CORSAllowedOrigins,
		Logger:           log,
		FirstTokenMedian: a.metrics.FirstTokenMedian,
		Web:              pages,
		Lifecycle:        a.lifecycle,
		Uploads:          a.uploads,
	})
	a.startNotifier()
	a.startLifecycle()
	// Questions whose reply was being generated by an instance that died
	// are answered here once their lease expires; the lease picks one
	// instance per question.
	a.runUntilClose(a.svc.RunReplyRecovery)
	return a, nil
}

func (a *App) openStorage(ctx context.Context) error {
	if a.cfg.Storage.MongoURI != "" {
		return a.openMongo(ctx)
	}
	store, err := sqlite.Open(ctx, a.cfg.Storage.SQLitePath)
	if err != nil {
		return fmt.Errorf("SQLITE_PATH: %w", err)
	}
	a.closers = append(a.closers, func() { _ = store.Close() })
	a.repo = a.metrics.InstrumentRepository(store)
	a.outbox = store.Outbox()
	a.log.Info("storage ready", "adapter", "sqlite", "path", a.cfg.Storage.SQLitePath)
	return nil
}

// openBus connects to NATS_URL, or starts the embedded server, so one
// instance and many share the same code path.
func (a *App) openBus() error {
	var err error
	if a.cfg.Bus.NATSURL == "" {
		a.nats, err = bus.StartEmbedded(bus.EmbeddedOptions{Logger: a.log})
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		a.closers = append(a.closers, a.nats.Shutdown)
		a.nc, err = a.nats.Connect("chatbox")
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		a.log.Info("bus ready", "nats", "embedded")
	} else {
		a.nc, err = bus.Connect(a.cfg.Bus.NATSURL, "chatbox", a.log)
		if err != nil {
			return fmt.Errorf("NATS_URL: %w", err)
		}
		a.log.Info("bus ready", "nats", "external")
	}
	a.closers = append(a.closers, a.nc.Close)
	a.bus = bus.New(a.nc, bus.Options{Logger: a.log})
	a.closers = append(a.closers, func() { _ = a.bus.Close() })
	return nil
}

// Handler is the instance's root HTTP handler.
func (a *App) Handler() http.Handler { return a.handler }

// Registry is the instance's Prometheus registry.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// Serve serves HTTP on ln until ctx ends, then shuts down gracefully:
// readiness turns 503 and new WebSocket upgrades are refused at once,
// replies in progress finish and are stored (bounded by the drain timeout),
// every socket is closed with 1012 so clients reconnect elsewhere and
// resume, and HTTP stops. It returns nil after a clean shutdown.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()
	a.log.Info("shutting down: draining", "replies_in_progress", a.svc.Busy(),
		"connections", a.ws.Connections(), "drain_timeout", a.cfg.Server.DrainTimeout)
	a.draining.Store(true)
	a.ws.Drain()

	var errs []error
	drainCtx, cancel := context.WithTimeout(context.Background(), a.cfg.Server.DrainTimeout)
	if err := a.svc.Drain(drainCtx); err != nil {
		errs = append(errs, err)
	}
	cancel()
	closeCtx, cancel := context.WithTimeout(context.Background(), closeSocketsTimeout)
	if err := a.ws.CloseAll(closeCtx); err != nil {
		errs = append(errs, err)
	}
	cancel()
	httpCtx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	if err := srv.Shutdown(httpCtx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	cancel()
	if err := errors.Join(errs...); err != nil {
		a.log.Warn("shutdown finished with problems", "took", time.Since(start), "err", err)
		return nil
	}
	a.log.Info("shutdown complete", "took", time.Since(start))
	return nil
}

// Close releases storage, the bus and the embedded NATS server, in the
// reverse order they were opened.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
