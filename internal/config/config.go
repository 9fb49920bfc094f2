package config

import "time"

// Modes of operation (CHATBOX_ENV).
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is the validated configuration of one Chatbox process.
type Config struct {
	Env       string // CHATBOX_ENV: EnvDevelopment (default) or EnvProduction
	DataDir   string // CHATBOX_DATA_DIR, default "./data"
	Server    Server
	Auth      Auth
	Storage   Storage
	Bus       Bus
	WebSocket WebSocket
	LLM       LLM
	Log       Log
	Notify    Notify
	Lifecycle Lifecycle // session expiry and retention
	Uploads   Uploads   // file attachments (uploads.go)
	// Generated lists the env names of secrets taken from
	// <DataDir>/dev-secrets.json (generated on a first start, reused later)
	// because development mode had none; main logs them.
	Generated []string
	// DevSecrets says which dev-secrets.json development mode used and
	// whether this Load created it (devsecrets.go); zero in production
	// and when every secret was set.
	DevSecrets DevSecrets
	// Warnings are problems Load tolerated, one line each and free of
	// secret values, for main to log at start-up: a provider skipped because
	// its API key is absent, an API key for a provider nothing configures.
	Warnings []string
	Source   string // config file used, "" if none
}

// Production reports whether the process runs in production mode.
func (c *Config) Production() bool { return c.Env == EnvProduction }

// Server holds the HTTP listener settings.
type Server struct {
	Port int // SERVER_PORT, default 8080
	// PathPrefix is where every route lives (CHATBOX_PATH_PREFIX, default
	// "/chat"): a leading slash and no trailing slash; "" serves at the root.
	PathPrefix         string
	PublicURL          string        // CHATBOX_PUBLIC_URL: origin browsers use; "" unknown
	CORSAllowedOrigins []string      // CORS_ALLOWED_ORIGINS; empty: no CORS
	DrainTimeout       time.Duration // SHUTDOWN_DRAIN_TIMEOUT, default 25s
}

// Auth holds the token verification settings.
type Auth struct {
	JWTSecret   string        // JWT_SECRET (secret): HS256 key shared with the token issuer; optional with JWKSURL
	Leeway      time.Duration // JWT_LEEWAY, default 30s: clock skew tolerated on exp/nbf/iat
	JWKSURL     string        // JWT_JWKS_URL: the identity provider's public keys
	Issuer      string        // JWT_ISSUER: required iss; "" not checked
	Audience    []string      // JWT_AUDIENCE: aud must hold one; empty not checked
	RolesClaim  string        // JWT_ROLES_CLAIM, default roles
	MaxLifetime time.Duration // JWT_MAX_LIFETIME: most exp - iat; 0 no limit
}

// Storage holds the persistence settings.
type Storage struct {
	MongoURI      string // MONGO_URI (secret, may hold credentials); "" = SQLite
	SQLitePath    string // SQLITE_PATH, default <DataDir>/chatbox.db
	EncryptionKey []byte // ENCRYPTION_KEY (secret): exactly 32 bytes, decoded from base64
	// EncryptionKeysOld are keys ENCRYPTION_KEY replaced (ENCRYPTION_KEYS_OLD,
	// secret): they open stored messages but seal nothing.
	EncryptionKeysOld [][]byte
}

// Bus holds the event bus settings.
type Bus struct {
	NATSURL string // NATS_URL; "" = embedded in-process server
}

// WebSocket holds the per-connection limits of the chat socket.
type WebSocket struct {
	AllowedOrigins        []string      // WS_ALLOWED_ORIGINS; empty allows all (development only)
	MaxMessageBytes       int64         // WS_MAX_MESSAGE_BYTES, default 65536
	MaxConnectionsPerUser int           // WS_MAX_CONNECTIONS_PER_USER, default 10
	SendQueue             int           // WS_SEND_QUEUE, default 256 frames
	PingInterval          time.Duration // WS_PING_INTERVAL, default 30s
	MessagesPerMinute     int           // RATE_LIMIT_MESSAGES_PER_MINUTE, default 30
	MessageBurst          int           // RATE_LIMIT_BURST, default 10
}

// LLM holds the model settings.
type LLM struct {
	// DefaultModel is the provider ID used when a client names none
	// (LLM_DEFAULT_MODEL). When it is unset and providers exist, Load sets it
	// to the first provider by priority.
	DefaultModel       string
	HistoryMaxMessages int // LLM_HISTORY_MAX_MESSAGES, default 50
	HistoryMaxChars    int // LLM_HISTORY_MAX_CHARS, default 24000
	// Failover (LLM_FAILOVER, default true) lets the next provider by
	// priority answer when the chosen one fails before its first token.
	Failover bool
	// FirstTokenTimeout (LLM_FIRST_TOKEN_TIMEOUT, default 30s) is how long
	// a provider may take to its first token before the reply fails over.
	FirstTokenTimeout time.Duration
	// DailyTokenBudget (LLM_DAILY_TOKEN_BUDGET; unset: 200000 in
	// production, 0 otherwise; 0: none) caps the tokens one user's replies
	// may use per UTC day.
	DailyTokenBudget int
	// ReplyLeaseTTL (REPLY_LEASE_TTL, default 15s) is how long a reply's
	// lease lasts without renewal: how long a question whose instance died
	// waits before another instance answers it.
	ReplyLeaseTTL time.Duration
	// Providers are sorted by Priority, ascending; equal priorities keep their
	// configuration order.
	Providers []Provider
}

// Provider is one model users can pick, served by one backend.
type Provider struct {
	ID              string // public model id; default "provider-N"
	Name            string // display name; default ID
	Type            string // backend kind: TypeOpenAI, TypeAnthropic or TypeDify
	Endpoint        string // base URL; default the official API of Type (none for dify)
	Model           string // model name sent to the backend; for dify a label, default ID
	APIKey          string // secret; optional for loopback/private endpoints
	SystemPrompt    string
	MaxOutputTokens int           // 0: the backend's default
	Timeout         time.Duration // whole-reply limit, default 120s
	Priority        int           // lower first
	Vision          bool          // accepts image input
}

// Log holds the logging settings.
type Log struct {
	Level string // LOG_LEVEL: debug, info (default), warn or error
	// Format is "json" or "text" (LOG_FORMAT). Unset, Load picks json in
	// production and text otherwise, so it is never "" after Load.
	Format string
}
