// Command chatbox runs the Chatbox real-time AI chat service.
//
//	chatbox [serve] [--config FILE]        run the server (default)
//	chatbox token --user ID [--admin]      mint a development JWT
//	chatbox rekey [--after SESSION_ID]     re-encrypt stored messages under ENCRYPTION_KEY
//	chatbox migrate --from URL --to URL    copy sessions and messages between storage adapters
//	chatbox version                        print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/server"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chatbox:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "token":
		return token(args, stdout, stderr)
	case "rekey":
		return rekey(args, stdout, stderr)
	case "migrate":
		return migrate(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "chatbox", version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (commands: serve, token, rekey, migrate, version)", cmd)
	}
}

func loadConfig(flagPath string) (*config.Config, error) {
	return config.Load(config.LoadOptions{
		Path:      config.ResolvePath(flagPath, os.LookupEnv),
		LookupEnv: os.LookupEnv,
	})
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config.toml path (default $CHATBOX_CONFIG; none: defaults and environment)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	log := server.NewLogger(cfg, stderr)
	logStartup(log, cfg)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	app, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Server.Port))
	if err != nil {
		return fmt.Errorf("SERVER_PORT: %w", err)
	}
	log.Info("chatbox listening",
		"addr", ln.Addr().String(),
		"websocket", fmt.Sprintf("ws://localhost:%d%s/ws", cfg.Server.Port, cfg.Server.PathPrefix),
		"health", fmt.Sprintf("http://localhost:%d%s/healthz", cfg.Server.Port, cfg.Server.PathPrefix),
		"open_in_a_browser", fmt.Sprintf("http://localhost:%d%s/", cfg.Server.Port, cfg.Server.PathPrefix),
		"get_a_token", "go run ./cmd/chatbox token --user alice   (add --admin for an admin)")
	return app.Serve(ctx, ln)
}

// logStartup logs the configuration's start-up line and everything Load
// tolerated but an operator must hear about: generated development
// secrets, skipped providers and ignored keys, an open WebSocket origin.
func logStartup(log *slog.Logger, cfg *config.Config) {
	log.Info("starting chatbox", "version", version, "env", cfg.Env, "config_file", cfg.Source)
	for _, name := range cfg.Generated {
		log.Warn("DEVELOPMENT MODE: generated a secret because it was not set; never run like this in production",
			"key", name, "stored_in", cfg.DataDir)
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if len(cfg.WebSocket.AllowedOrigins) == 0 {
		log.Warn("WS_ALLOWED_ORIGINS is empty: WebSocket connections are accepted from ANY origin (development only)")
	}
}

func token(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "config.toml path (default $CHATBOX_CONFIG)")
	user := fs.String("user", "", "user id (the token's sub claim); required")
	name := fs.String("name", "", "display name (default: the user id)")
	admin := fs.Bool("admin", false, "grant the admin role")
	ttl := fs.Duration("ttl", 24*time.Hour, "lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" {
		return errors.New("token: --user is required")
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	tok, err := auth.Mint([]byte(cfg.Auth.JWTSecret), auth.MintOptions{
		UserID: *user, Name: *name, Admin: *admin, TTL: *ttl, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
