package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chatboxhq/chatbox/internal/auth"
	"github.com/chatboxhq/chatbox/internal/config"
)

// token mints a development JWT signed with the server's JWT_SECRET. It
// loads the configuration as serve does (config file, environment, data
// directory) but never creates dev-secrets.json: a token signed with a
// secret no server knows is refused with 401, and nothing would say why.
// It names the secret's origin on stderr, so TOKEN=$(chatbox token ...)
// captures the token alone.
func token(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "token --user ID [--admin] [--config FILE] [--data-dir DIR]",
		"Mint a development JWT signed with the server's JWT_SECRET: the one in the environment or the config file, "+
			"else the development secret the server stored in its data directory (dev-secrets.json). Never creates a secret.", stderr)
	settings := sharedSettingsFlags(fs)
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
	cfg, err := settings.load()
	if err != nil {
		return err
	}
	if cfg.Auth.JWTSecret == "" {
		return missingSecret("token", "JWT_SECRET", cfg)
	}
	tok, err := auth.Mint([]byte(cfg.Auth.JWTSecret), auth.MintOptions{
		UserID: *user, Name: *name, Admin: *admin, TTL: *ttl, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "chatbox token: signed with", jwtSecretOrigin(cfg, os.LookupEnv))
	fmt.Fprintln(stdout, tok)
	return nil
}

// sharedSettings are the flags by which a helper command finds the
// server's configuration.
type sharedSettings struct {
	configPath *string
	dataDir    *string
}

// sharedSettingsFlags adds --config and --data-dir to fs.
func sharedSettingsFlags(fs *flag.FlagSet) sharedSettings {
	return sharedSettings{
		configPath: fs.String("config", "", "the server's config.toml (default $CHATBOX_CONFIG)"),
		dataDir: fs.String("data-dir", "", "the server's data directory, where development mode keeps dev-secrets.json "+
			"(default $CHATBOX_DATA_DIR, else the config file's data_dir, else ./data)"),
	}
}

// load reads the configuration as serve does, with --data-dir in place of
// CHATBOX_DATA_DIR, and without ever creating development secrets.
func (s sharedSettings) load() (*config.Config, error) {
	lookup := os.LookupEnv
	if dir := *s.dataDir; dir != "" {
		lookup = func(name string) (string, bool) {
			if name == dataDirEnv {
				return dir, true
			}
			return os.LookupEnv(name)
		}
	}
	return config.Load(config.LoadOptions{
		Path:            config.ResolvePath(*s.configPath, lookup),
		LookupEnv:       lookup,
		ReadOnlySecrets: true,
	})
}

// dataDirEnv is the setting --data-dir stands for.
const dataDirEnv = "CHATBOX_DATA_DIR"

// missingSecret is the refusal of a helper command that found neither the
// secret key nor the development secrets file: it names the file it looked
// for and the ways to point at the server's, and the nearest file of the
// same data directory above the working directory, if any.
func missingSecret(cmd, key string, cfg *config.Config) error {
	msg := fmt.Sprintf("%s: no %s: it is not set and %s does not exist. A development server creates that file in its data directory "+
		"on its first start; this command never creates one (no server would accept what it signs). "+
		"Run it in the server's directory, or point it at the server's settings: --data-dir DIR (or CHATBOX_DATA_DIR), --config FILE, or %s; "+
		"the server logs the command to use when it starts",
		cmd, key, cfg.DevSecrets.File, key)
	if wd, err := os.Getwd(); err == nil {
		if found := config.DevSecretsAbove(wd, cfg.DataDir); found != "" {
			msg += fmt.Sprintf(". Found %s: if that is the server's, add --data-dir %s", found, shellQuote(filepath.Dir(found)))
		}
	}
	return errors.New(msg)
}

// jwtSecretOrigin says where cfg's JWT_SECRET came from, for stderr.
func jwtSecretOrigin(cfg *config.Config, lookupEnv func(string) (string, bool)) string {
	switch {
	case slices.Contains(cfg.Generated, "JWT_SECRET"):
		return "the development JWT_SECRET stored in " + cfg.DevSecrets.File
	case envSet(lookupEnv, "JWT_SECRET"):
		return "JWT_SECRET from the environment"
	default:
		return "auth.jwt_secret from " + cfg.Source
	}
}

// envSet reports whether name is set to something other than blanks, as
// the config loader counts it.
func envSet(lookupEnv func(string) (string, bool), name string) bool {
	v, ok := lookupEnv(name)
	return ok && strings.TrimSpace(v) != ""
}

// defaultDataDir is CHATBOX_DATA_DIR's default as Load cleans it.
const defaultDataDir = "data"

// tokenCommand is the command that mints a token this development server
// accepts, with the settings that choose its secret: the config file and
// a data directory other than the default, as absolute paths, so that it
// works from any directory; a JWT_SECRET from the environment is named,
// never shown.
func tokenCommand(cfg *config.Config, lookupEnv func(string) (string, bool)) string {
	parts := []string{"go run ./cmd/chatbox token --user alice"}
	if cfg.Source != "" {
		parts = append(parts, "--config", shellQuote(absPath(cfg.Source)))
	}
	if filepath.Clean(cfg.DataDir) != defaultDataDir {
		parts = append(parts, "--data-dir", shellQuote(absPath(cfg.DataDir)))
	}
	hint := strings.Join(parts, " ") + "   (add --admin for an admin"
	if !slices.Contains(cfg.Generated, "JWT_SECRET") && envSet(lookupEnv, "JWT_SECRET") {
		hint += "; with this server's JWT_SECRET in the environment"
	}
	return hint + ")"
}

// absPath returns p made absolute, or p if the working directory is gone.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// shellQuote returns s as one POSIX shell word, so a printed command can
// be pasted even when a path holds spaces.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,=@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
