package config

import (
	"strconv"
	"strings"
	"time"
)

// ConfigPathEnv names the environment variable holding the config file path
// when the --config flag is not given. Main reads it (see ResolvePath); it
// cannot be set from the file itself.
const ConfigPathEnv = "CHATBOX_CONFIG"

// Key documents one setting. Keys of LLM providers are templates: Env holds
// "<N>" (LLM_PROVIDER_<N>_MODEL, N = 1, 2, ...) and TOMLPath "[]"
// (llm.providers[].model, one [[llm.providers]] table per provider).
type Key struct {
	Env      string // environment variable
	TOMLPath string // dotted path in the TOML file; "" if the file cannot set it
	Default  string // in environment syntax; "" for none or a computed default (see Doc)
	Doc      string // one sentence for operators
	Secret   bool   // never logged or shown in errors
}

// Provider key templates; see Key.
const (
	providerEnvPrefix  = "LLM_PROVIDER_<N>_"
	providerTOMLPrefix = "llm.providers[]."
	// maxEnvProviders bounds the LLM_PROVIDER_<N>_* scan: the environment is
	// read by lookup, not listed, so Load probes N = 1..maxEnvProviders. Gaps
	// are allowed (removing provider 2 need not renumber provider 3).
	maxEnvProviders = 32
)

// Keys returns every setting in table order: the process-wide keys, then
// the provider key templates. Docs and manifests are tested against it.
func Keys() []Key {
	keys := []Key{{
		Env: ConfigPathEnv,
		Doc: "Path of the TOML config file; the --config flag takes precedence. Unset: no file.",
	}}
	for _, s := range configSpecs() {
		keys = append(keys, s.key)
	}
	for _, s := range providerSpecs() {
		keys = append(keys, s.key)
	}
	return keys
}

// providerEnv returns the environment variable of provider n for template k.
func providerEnv(k Key, n int) string {
	return strings.Replace(k.Env, "<N>", strconv.Itoa(n), 1)
}

// providerField returns the TOML key inside one [[llm.providers]] table.
func providerField(k Key) string {
	return strings.TrimPrefix(k.TOMLPath, providerTOMLPrefix)
}

// configSpecs is the table of process-wide keys. It is built on each call so
// that no package-level value can be mutated.
func configSpecs() []spec[Config] {
	specs := []spec[Config]{
		stringSpec(Key{Env: "CHATBOX_ENV", TOMLPath: "env", Default: EnvDevelopment,
			Doc: "Mode: development (generates missing secrets, allows any WebSocket origin) or production (refuses to start without them)."},
			func(c *Config) *string { return &c.Env }, checkEnv),
		stringSpec(Key{Env: "CHATBOX_DATA_DIR", TOMLPath: "data_dir", Default: "./data",
			Doc: "Directory for local data: the SQLite database and, in development, dev-secrets.json."},
			func(c *Config) *string { return &c.DataDir }, checkDir),

		intSpec(Key{Env: "SERVER_PORT", TOMLPath: "server.port", Default: "8080",
			Doc: "TCP port of the HTTP and WebSocket listener."},
			1, 65535, "a port number (1-65535)", func(c *Config) *int { return &c.Server.Port }),
		stringSpec(Key{Env: "CHATBOX_PATH_PREFIX", TOMLPath: "server.path_prefix", Default: "/chat",
			Doc: "URL path prefix of every route (/chat/ws, /chat/healthz...); \"/\" serves at the root."},
			func(c *Config) *string { return &c.Server.PathPrefix }, checkPathPrefix),
		listSpec(Key{Env: "CORS_ALLOWED_ORIGINS", TOMLPath: "server.cors_allowed_origins",
			Doc: "Comma-separated origins allowed to call the HTTP API cross-origin (admin dashboards); empty disables CORS."},
			func(c *Config) *[]string { return &c.Server.CORSAllowedOrigins }, checkOrigin),
		durationSpec(Key{Env: "SHUTDOWN_DRAIN_TIMEOUT", TOMLPath: "server.drain_timeout", Default: "25s",
			Doc: "How long shutdown waits for streaming replies and connections to finish; keep it below the pod's terminationGracePeriodSeconds."},
			time.Millisecond, time.Hour, func(c *Config) *time.Duration { return &c.Server.DrainTimeout }),

		jwtSecretSpec(Key{Env: "JWT_SECRET", TOMLPath: "auth.jwt_secret", Secret: true,
			Doc: "HS256 key shared with the token issuer; production needs at least 32 bytes (" + keyHint + ")."}),
		durationSpec(Key{Env: "JWT_LEEWAY", TOMLPath: "auth.leeway", Default: "30s",
			Doc: "Clock skew tolerated when checking a token's exp, nbf and iat; 0s for none."},
			0, 5*time.Minute, func(c *Config) *time.Duration { return &c.Auth.Leeway }),
	}
	specs = append(specs, tokenSpecs()...)
	specs = append(specs, []spec[Config]{

		stringSpec(Key{Env: "MONGO_URI", TOMLPath: "storage.mongo_uri", Secret: true,
			Doc: "MongoDB connection URI (may hold credentials); empty stores data in SQLite instead."},
			func(c *Config) *string { return &c.Storage.MongoURI }, checkMongoURI),
		stringSpec(Key{Env: "SQLITE_PATH", TOMLPath: "storage.sqlite_path",
			Doc: "SQLite database file, used when MONGO_URI is empty; default <CHATBOX_DATA_DIR>/chatbox.db."},
			func(c *Config) *string { return &c.Storage.SQLitePath }, trimmed),
		encryptionKeySpec(Key{Env: "ENCRYPTION_KEY", TOMLPath: "storage.encryption_key", Secret: true,
			Doc: "Key encrypting stored messages: base64 of exactly 32 bytes (" + keyHint + ")."}),
		encryptionKeysOldSpec(Key{Env: "ENCRYPTION_KEYS_OLD", TOMLPath: "storage.encryption_keys_old", Secret: true,
			Doc: "Comma-separated previous encryption keys (base64, 32 bytes each), still accepted for reading until chatbox rekey has re-encrypted everything under ENCRYPTION_KEY; see KEY_MANAGEMENT.md."}),

		urlListSpec(Key{Env: "NATS_URL", TOMLPath: "bus.nats_url",
			Doc: "NATS server URL(s) shared by all replicas; empty runs an embedded in-process server (single replica only)."},
			func(c *Config) *string { return &c.Bus.NATSURL }, checkNATSURL),

		listSpec(Key{Env: "WS_ALLOWED_ORIGINS", TOMLPath: "websocket.allowed_origins",
			Doc: "Comma-separated origins allowed to open the chat WebSocket; empty allows any origin and is refused in production."},
			func(c *Config) *[]string { return &c.WebSocket.AllowedOrigins }, checkOrigin),
		int64Spec(Key{Env: "WS_MAX_MESSAGE_BYTES", TOMLPath: "websocket.max_message_bytes", Default: "65536",
			Doc: "Largest frame a client may send, in bytes (1024 to 16777216)."},
			1<<10, 16<<20, "a size in bytes from 1024 (1 KiB) to 16777216 (16 MiB)",
			func(c *Config) *int64 { return &c.WebSocket.MaxMessageBytes }),
		intSpec(Key{Env: "WS_MAX_CONNECTIONS_PER_USER", TOMLPath: "websocket.max_connections_per_user", Default: "10",
			Doc: "Open WebSocket connections allowed per user, across tabs and devices."},
			1, 10000, "", func(c *Config) *int { return &c.WebSocket.MaxConnectionsPerUser }),
		intSpec(Key{Env: "WS_SEND_QUEUE", TOMLPath: "websocket.send_queue", Default: "256",
			Doc: "Frames queued per connection before a slow client is disconnected (it resumes by sequence number)."},
			16, 65536, "", func(c *Config) *int { return &c.WebSocket.SendQueue }),
		durationSpec(Key{Env: "WS_PING_INTERVAL", TOMLPath: "websocket.ping_interval", Default: "30s",
			Doc: "Interval of WebSocket pings; keep it below proxy idle timeouts."},
			time.Millisecond, 10*time.Minute, func(c *Config) *time.Duration { return &c.WebSocket.PingInterval }),
		intSpec(Key{Env: "RATE_LIMIT_MESSAGES_PER_MINUTE", TOMLPath: "websocket.messages_per_minute", Default: "30",
			Doc: "Sustained chat messages a user may send per minute."},
			1, 100000, "", func(c *Config) *int { return &c.WebSocket.MessagesPerMinute }),
		intSpec(Key{Env: "RATE_LIMIT_BURST", TOMLPath: "websocket.message_burst", Default: "10",
			Doc: "Messages a user may send at once above the per-minute rate."},
			1, 100000, "", func(c *Config) *int { return &c.WebSocket.MessageBurst }),

		stringSpec(Key{Env: "LLM_DEFAULT_MODEL", TOMLPath: "llm.default_model",
			Doc: "Provider id used when a client picks no model; empty: the first provider by priority."},
			func(c *Config) *string { return &c.LLM.DefaultModel }, trimmed),
		intSpec(Key{Env: "LLM_HISTORY_MAX_MESSAGES", TOMLPath: "llm.history_max_messages", Default: "50",
			Doc: "Most recent messages of a session sent to the model as context."},
			1, 10000, "", func(c *Config) *int { return &c.LLM.HistoryMaxMessages }),
		intSpec(Key{Env: "LLM_HISTORY_MAX_CHARS", TOMLPath: "llm.history_max_chars", Default: "24000",
			Doc: "Characters of history sent to the model as context; older messages are dropped first."},
			100, 10000000, "", func(c *Config) *int { return &c.LLM.HistoryMaxChars }),
		boolSpec(Key{Env: "LLM_FAILOVER", TOMLPath: "llm.failover", Default: "true",
			Doc: "When the chosen model's provider fails before its first token (connection error, 429, 5xx, no first token in time), the next provider by priority answers instead; false: only the chosen one."},
			func(c *Config) *bool { return &c.LLM.Failover }),
		durationSpec(Key{Env: "LLM_FIRST_TOKEN_TIMEOUT", TOMLPath: "llm.first_token_timeout", Default: "30s",
			Doc: "Longest wait for a provider's first token before the reply fails over to the next provider; the last provider left waits up to its own timeout."},
			time.Second, time.Hour, func(c *Config) *time.Duration { return &c.LLM.FirstTokenTimeout }),
		budgetSpec(),
		durationSpec(Key{Env: "REPLY_LEASE_TTL", TOMLPath: "llm.reply_lease_ttl", Default: "15s",
			Doc: "Lease an instance holds, in storage, on a reply it generates (renewed every third of it): when the instance dies, another one answers the question once the lease has expired."},
			time.Second, 10*time.Minute, func(c *Config) *time.Duration { return &c.LLM.ReplyLeaseTTL }),

		stringSpec(Key{Env: "LOG_LEVEL", TOMLPath: "log.level", Default: "info",
			Doc: "Log level: debug, info, warn or error."},
			func(c *Config) *string { return &c.Log.Level }, checkLogLevel),
		stringSpec(Key{Env: "LOG_FORMAT", TOMLPath: "log.format",
			Doc: "Log format: json or text; empty: json in production, text otherwise."},
			func(c *Config) *string { return &c.Log.Format }, checkLogFormat),
	}...)
	return append(append(append(specs, notifySpecs()...), lifecycleSpecs()...), uploadSpecs()...)
}

// providerSpecs is the table of per-provider keys (templates, see Key).
func providerSpecs() []spec[Provider] {
	k := func(field, def, doc string, secret bool) Key {
		return Key{
			Env:      providerEnvPrefix + strings.ToUpper(field),
			TOMLPath: providerTOMLPrefix + field,
			Default:  def, Doc: doc, Secret: secret,
		}
	}
	return []spec[Provider]{
		stringSpec(k("id", "", "Public model id clients pick; default provider-<N>. An environment provider with the id of a file provider overrides that provider's fields.", false),
			func(p *Provider) *string { return &p.ID }, checkProviderID),
		stringSpec(k("name", "", "Display name; default the id.", false),
			func(p *Provider) *string { return &p.Name }, trimmed),
		stringSpec(k("type", "", "Backend type, required: openai (OpenAI or any OpenAI-compatible server such as Ollama or vLLM), anthropic, or dify (a Dify chat, agent or chatflow app).", false),
			func(p *Provider) *string { return &p.Type }, checkProviderType),
		urlListSpec(k("endpoint", "", "Base URL of the API; default the official API for openai and anthropic, required for dify (e.g. https://dify.example.com/v1). Plain http only to loopback, private or cluster-local hosts.", false),
			func(p *Provider) *string { return &p.Endpoint }, checkEndpoint),
		stringSpec(k("model", "", "Model name sent to the backend, required for openai and anthropic (e.g. gpt-4o-mini, llama3.1, claude-sonnet-4-5); for dify only a label in metrics (the app picks its model), default the id.", false),
			func(p *Provider) *string { return &p.Model }, trimmed),
		stringSpec(k("api_key", "", "API key (for dify the app's key). A provider without one is skipped with a start-up warning (production refuses to start when no provider is left); openai and anthropic endpoints on a loopback or private host may omit it. A key set for a provider nothing else configures is ignored with a warning.", true),
			func(p *Provider) *string { return &p.APIKey }, trimmed),
		promptSpec(k("system_prompt", "", "System prompt sent before the conversation.", false)),
		intSpec(k("max_output_tokens", "0", "Most tokens per reply; 0: the backend's default.", false),
			0, 1000000, "", func(p *Provider) *int { return &p.MaxOutputTokens }),
		durationSpec(k("timeout", "120s", "Longest a whole reply may take.", false),
			time.Millisecond, time.Hour, func(p *Provider) *time.Duration { return &p.Timeout }),
		intSpec(k("priority", "0", "Order in the model list and for the default model: lower first.", false),
			-1000000, 1000000, "", func(p *Provider) *int { return &p.Priority }),
		boolSpec(k("vision", "false", "The model accepts images: pictures attached to a message are sent to it as image input (openai and anthropic); otherwise they are named in the text, like other files.", false),
			func(p *Provider) *bool { return &p.Vision }),
	}
}
