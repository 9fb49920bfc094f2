// Command chatbox runs the Chatbox real-time AI chat service.
//
//	chatbox [serve] [--config FILE]        run the server (default)
//	chatbox token --user ID [--admin]      mint a development JWT with the server's secret
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
	"strings"
	"syscall"

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

// usage is what `chatbox -h` prints.
const usage = `usage: chatbox [COMMAND] [FLAGS]

commands:
  serve     run the server (the default)
  token     mint a development JWT signed with the server's JWT_SECRET
  rekey     re-encrypt stored messages under ENCRYPTION_KEY
  migrate   copy sessions and messages between storage adapters
  version   print the version

"chatbox COMMAND -h" lists a command's flags. Settings come from the
environment and the config file (--config FILE or CHATBOX_CONFIG); the
README's Configuration section lists them.
`

// run runs one command. A help request (-h, --help) prints usage and is
// not an error: the process exits 0.
func run(args []string, stdout, stderr io.Writer) error {
	err := dispatch(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, usage)
			return nil
		}
		if len(args[0]) > 0 && args[0][0] != '-' {
			cmd, args = args[0], args[1:]
		}
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
		return fmt.Errorf("unknown command %q (commands: serve, token, rekey, migrate, version; chatbox -h for help)", cmd)
	}
}

// newFlags returns the flag set of a command; its -h prints the synopsis,
// what the command does and its flags.
func newFlags(name, synopsis, doc string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: chatbox %s\n\n%s\n\nflags:\n", synopsis, doc)
		fs.PrintDefaults()
	}
	return fs
}

func loadConfig(flagPath string) (*config.Config, error) {
	return config.Load(config.LoadOptions{
		Path:      config.ResolvePath(flagPath, os.LookupEnv),
		LookupEnv: os.LookupEnv,
	})
}

// announceDevSecrets logs where development secrets come from: loudly
// when this start generated them, in one quiet line when it reused them.
func announceDevSecrets(log *slog.Logger, cfg *config.Config) {
	if len(cfg.Generated) == 0 {
		return
	}
	keys := strings.Join(cfg.Generated, ",")
	if cfg.DevSecrets.Created {
		log.Warn("DEVELOPMENT MODE: generated secrets because they were not set; never run like this in production",
			"keys", keys, "stored_in", cfg.DevSecrets.File)
		return
	}
	log.Info("development mode: using the secrets stored by an earlier start", "keys", keys, "file", cfg.DevSecrets.File)
}

// logStartup logs the configuration's start-up line and everything Load
// tolerated but an operator must hear about: development secrets,
// skipped providers and ignored keys, an open WebSocket origin.
func logStartup(log *slog.Logger, cfg *config.Config) {
	log.Info("starting chatbox", "version", version, "env", cfg.Env, "config_file", cfg.Source)
	announceDevSecrets(log, cfg)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if len(cfg.WebSocket.AllowedOrigins) == 0 {
		log.Warn("WS_ALLOWED_ORIGINS is empty: WebSocket connections are accepted from ANY origin (development only)")
	}
}

func serve(args []string, stderr io.Writer) error {
	fs := newFlags("serve", "[serve] [--config FILE]",
		"Run the server. Without a config file it runs on defaults and the environment (development mode: SQLite and "+
			"development secrets under ./data, an in-process NATS server, the demo model).", stderr)
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
	where := []any{
		"addr", ln.Addr().String(),
		"websocket", fmt.Sprintf("ws://localhost:%d%s/ws", cfg.Server.Port, cfg.Server.PathPrefix),
		"health", fmt.Sprintf("http://localhost:%d%s/healthz", cfg.Server.Port, cfg.Server.PathPrefix),
		"open_in_a_browser", fmt.Sprintf("http://localhost:%d%s/", cfg.Server.Port, cfg.Server.PathPrefix),
	}
	if !cfg.Production() {
		where = append(where, "get_a_token", tokenCommand(cfg, os.LookupEnv))
	}
	log.Info("chatbox listening", where...)
	return app.Serve(ctx, ln)
}
