package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c := mustLoad(t, "", secretsEnv())
	want := &Config{
		Env:     "development",
		DataDir: "data",
		Server:  Server{Port: 8080, PathPrefix: "/chat", DrainTimeout: 25 * time.Second},
		Auth:    Auth{JWTSecret: testJWTSecret, Leeway: 30 * time.Second, RolesClaim: "roles"},
		Storage: Storage{SQLitePath: "data/chatbox.db", EncryptionKey: []byte("0123456789abcdef0123456789abcdef")},
		WebSocket: WebSocket{
			MaxMessageBytes: 65536, MaxConnectionsPerUser: 10, SendQueue: 256,
			PingInterval: 30 * time.Second, MessagesPerMinute: 30, MessageBurst: 10,
		},
		LLM:       LLM{HistoryMaxMessages: 50, HistoryMaxChars: 24000, Failover: true, FirstTokenTimeout: 30 * time.Second, ReplyLeaseTTL: 15 * time.Second, Providers: []Provider{}},
		Log:       Log{Level: "info", Format: "text"},
		Notify:    defaultNotify(),
		Lifecycle: Lifecycle{IdleTimeout: 30 * time.Minute, SweepInterval: time.Minute},
		Uploads:   Uploads{MaxBytes: 20 << 20, PerMinute: 10, Burst: 5, Dir: "data/uploads", S3Region: "us-east-1", QuotaFiles: 500, QuotaBytes: 1 << 30, UnattachedTTL: 24 * time.Hour},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if c.Production() {
		t.Error("Production() is true by default")
	}
}

// TestKeyDefaultsMatchConfig checks that each documented default is what a
// bare Load produces, so Keys() can be trusted by documentation tests.
func TestKeyDefaultsMatchConfig(t *testing.T) {
	r := mustLoad(t, "", secretsEnv()).Redacted()
	for _, s := range configSpecs() {
		if s.key.Secret || s.key.Default == "" {
			continue
		}
		got := r[s.key.Env]
		if s.key.Env == "CHATBOX_DATA_DIR" {
			got = "./" + got // cleaned
		}
		if got != s.key.Default {
			t.Errorf("%s: documented default %q, loaded %q", s.key.Env, s.key.Default, got)
		}
	}
}

const fullFile = `
env = "development"
data_dir = "/var/lib/chatbox"

[server]
port = 9000
path_prefix = "/api/chat/"
cors_allowed_origins = ["https://admin.example.com", "https://dash.example.com/"]
drain_timeout = "40s"

[auth]
jwt_secret = "file-jwt-secret"
leeway = "5s"

[storage]
mongo_uri = "mongodb://user:pw@mongo:27017/chat"
sqlite_path = "/tmp/x.db"
encryption_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

[bus]
nats_url = "nats://nats:4222"

[websocket]
allowed_origins = ["https://Chat.Example.com"]
max_message_bytes = 2048
max_connections_per_user = 3
send_queue = 64
ping_interval = "15s"
messages_per_minute = 60
message_burst = 5

[llm]
default_model = "local"
history_max_messages = 20
history_max_chars = 8000

[[llm.providers]]
id = "gpt"
name = "GPT-4o mini"
type = "openai"
model = "gpt-4o-mini"
api_key = "sk-file"
system_prompt = "Be brief."
max_output_tokens = 512
timeout = "60s"
priority = 2

[[llm.providers]]
id = "local"
type = "OpenAI"
endpoint = "http://ollama:11434/v1"
model = "llama3.1"
priority = 1

[log]
level = "DEBUG"
format = "json"
`

func TestFile(t *testing.T) {
	path := writeConfig(t, fullFile)
	c := mustLoad(t, path, env{})
	want := &Config{
		Env:     "development",
		DataDir: "/var/lib/chatbox",
		Server: Server{Port: 9000, PathPrefix: "/api/chat", DrainTimeout: 40 * time.Second,
			CORSAllowedOrigins: []string{"https://admin.example.com", "https://dash.example.com"}},
		Auth:    Auth{JWTSecret: "file-jwt-secret", Leeway: 5 * time.Second, RolesClaim: "roles"},
		Storage: Storage{MongoURI: "mongodb://user:pw@mongo:27017/chat", SQLitePath: "/tmp/x.db", EncryptionKey: []byte("0123456789abcdef0123456789abcdef")},
		Bus:     Bus{NATSURL: "nats://nats:4222"},
		WebSocket: WebSocket{
			AllowedOrigins:  []string{"https://chat.example.com"},
			MaxMessageBytes: 2048, MaxConnectionsPerUser: 3, SendQueue: 64,
			PingInterval: 15 * time.Second, MessagesPerMinute: 60, MessageBurst: 5,
		},
		LLM: LLM{DefaultModel: "local", HistoryMaxMessages: 20, HistoryMaxChars: 8000, Failover: true, FirstTokenTimeout: 30 * time.Second, ReplyLeaseTTL: 15 * time.Second, Providers: []Provider{
			{ID: "local", Name: "local", Type: "openai", Endpoint: "http://ollama:11434/v1", Model: "llama3.1", Timeout: 120 * time.Second, Priority: 1},
			{ID: "gpt", Name: "GPT-4o mini", Type: "openai", Endpoint: DefaultOpenAIEndpoint, Model: "gpt-4o-mini", APIKey: "sk-file",
				SystemPrompt: "Be brief.", MaxOutputTokens: 512, Timeout: 60 * time.Second, Priority: 2},
		}},
		Log:       Log{Level: "debug", Format: "json"},
		Notify:    defaultNotify(),
		Lifecycle: Lifecycle{IdleTimeout: 30 * time.Minute, SweepInterval: time.Minute},
		Uploads:   Uploads{MaxBytes: 20 << 20, PerMinute: 10, Burst: 5, Dir: "/var/lib/chatbox/uploads", S3Region: "us-east-1", QuotaFiles: 500, QuotaBytes: 1 << 30, UnattachedTTL: 24 * time.Hour},
		Source:    path,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("file:\n got %+v\nwant %+v", c, want)
	}
}

func TestEnvOverridesFile(t *testing.T) {
	path := writeConfig(t, fullFile)
	c := mustLoad(t, path, env{
		"SERVER_PORT":          "9100",
		"CORS_ALLOWED_ORIGINS": "https://other.example.com",
		"JWT_SECRET":           "env-jwt-secret",
		"LOG_LEVEL":            "warn",
		"LLM_PROVIDER_1_MODEL": "gpt-4.1-mini", // file provider 1 has no env ID: matched by position
		"WS_SEND_QUEUE":        "   ",          // blank counts as unset: the file value stays
	})
	switch {
	case c.Server.Port != 9100:
		t.Errorf("port = %d, want the env value 9100", c.Server.Port)
	case !reflect.DeepEqual(c.Server.CORSAllowedOrigins, []string{"https://other.example.com"}):
		t.Errorf("CORS origins = %q, want the env list", c.Server.CORSAllowedOrigins)
	case c.Auth.JWTSecret != "env-jwt-secret":
		t.Error("JWT secret not taken from env")
	case c.Log.Level != "warn":
		t.Errorf("log level = %q", c.Log.Level)
	case c.WebSocket.SendQueue != 64:
		t.Errorf("send queue = %d, want file value 64 (blank env is unset)", c.WebSocket.SendQueue)
	case c.LLM.Providers[1].ID != "gpt" || c.LLM.Providers[1].Model != "gpt-4.1-mini" || c.LLM.Providers[1].APIKey != "sk-file":
		t.Errorf("provider gpt = %+v, want the env model over the file's other fields", c.LLM.Providers[1])
	case c.Storage.SQLitePath != "/tmp/x.db" || c.DataDir != "/var/lib/chatbox":
		t.Error("untouched file values lost")
	}
}

// sampleEnv has a valid, non-default value for every key of Keys(), with the
// value Redacted (or the provider) should then show.
func sampleEnv() map[string][2]string {
	samples := map[string][2]string{
		"CHATBOX_ENV":                        {"Production", "production"},
		"CHATBOX_DATA_DIR":                   {"/srv/chatbox/", "/srv/chatbox"},
		"SERVER_PORT":                        {"9090", "9090"},
		"CHATBOX_PATH_PREFIX":                {"api/", "/api"},
		"CORS_ALLOWED_ORIGINS":               {" https://a.example.com , https://b.example.com:8443 ", "https://a.example.com,https://b.example.com:8443"},
		"SHUTDOWN_DRAIN_TIMEOUT":             {"1m", "1m0s"},
		"JWT_SECRET":                         {testJWTSecret, "set"},
		"JWT_LEEWAY":                         {"0s", "0s"},
		"MONGO_URI":                          {"mongodb+srv://u:p@cluster0.example.net/chat", "set"},
		"SQLITE_PATH":                        {"/tmp/chat.db", "/tmp/chat.db"},
		"ENCRYPTION_KEY":                     {testEncKey, "set"},
		"ENCRYPTION_KEYS_OLD":                {testOldKeys, "set"},
		"NATS_URL":                           {"nats://u:secretpw@nats-1:4222,nats://nats-2:4222", "nats://REDACTED@nats-1:4222,nats://nats-2:4222"},
		"WS_ALLOWED_ORIGINS":                 {"https://chat.example.com", "https://chat.example.com"},
		"WS_MAX_MESSAGE_BYTES":               {"1024", "1024"},
		"WS_MAX_CONNECTIONS_PER_USER":        {"2", "2"},
		"WS_SEND_QUEUE":                      {"16", "16"},
		"WS_PING_INTERVAL":                   {"10s", "10s"},
		"RATE_LIMIT_MESSAGES_PER_MINUTE":     {"120", "120"},
		"RATE_LIMIT_BURST":                   {"20", "20"},
		"LLM_DEFAULT_MODEL":                  {"p1", "p1"},
		"LLM_HISTORY_MAX_MESSAGES":           {"10", "10"},
		"LLM_HISTORY_MAX_CHARS":              {"5000", "5000"},
		"LLM_FAILOVER":                       {"off", "false"},
		"LLM_FIRST_TOKEN_TIMEOUT":            {"45s", "45s"},
		"LLM_DAILY_TOKEN_BUDGET":             {"50000", "50000"},
		"REPLY_LEASE_TTL":                    {"5s", "5s"},
		"LOG_LEVEL":                          {"error", "error"},
		"SESSION_IDLE_TIMEOUT":               {"45m", "45m0s"},
		"RETENTION_DAYS":                     {"90", "90"},
		"LIFECYCLE_SWEEP_INTERVAL":           {"30s", "30s"},
		"LOG_FORMAT":                         {"JSON", "json"},
		"LLM_PROVIDER_<N>_ID":                {"p1", "id=p1"},
		"LLM_PROVIDER_<N>_NAME":              {"Provider One", "name=Provider One"},
		"LLM_PROVIDER_<N>_TYPE":              {"openai", "type=openai"},
		"LLM_PROVIDER_<N>_ENDPOINT":          {"https://llm.example.com/v1", "endpoint=https://llm.example.com/v1"},
		"LLM_PROVIDER_<N>_MODEL":             {"m-1", "model=m-1"},
		"LLM_PROVIDER_<N>_API_KEY":           {testAPIKey, "api_key=set"},
		"LLM_PROVIDER_<N>_SYSTEM_PROMPT":     {"You help.", "system_prompt=9 bytes"},
		"LLM_PROVIDER_<N>_MAX_OUTPUT_TOKENS": {"256", "max_output_tokens=256"},
		"LLM_PROVIDER_<N>_TIMEOUT":           {"30s", "timeout=30s"},
		"LLM_PROVIDER_<N>_PRIORITY":          {"-3", "priority=-3"},
	}
	for k, v := range notifySamples() {
		samples[k] = v
	}
	for k, v := range uploadSamples() {
		samples[k] = v
	}
	for k, v := range tokenSamples() {
		samples[k] = v
	}
	return samples
}

// TestEveryEnvKeyParses sets each key of Keys() alone (on top of a valid
// production environment) and checks the effective value.
func TestEveryEnvKeyParses(t *testing.T) {
	samples := sampleEnv()
	for _, k := range Keys() {
		if k.TOMLPath == "" {
			continue // CHATBOX_CONFIG is read by main through ResolvePath
		}
		sample, ok := samples[k.Env]
		if !ok {
			t.Errorf("%s: no sample value in sampleEnv; add one", k.Env)
			continue
		}
		t.Run(k.Env, func(t *testing.T) {
			e := prodEnv(t).with("LLM_PROVIDER_1_ID", "p1").withAll(notifyEnv())
			name, redactKey := k.Env, k.Env
			if strings.Contains(k.Env, "<N>") {
				name, redactKey = providerEnv(k, 1), "LLM_PROVIDERS[0]"
			}
			c := mustLoad(t, "", e.with(name, sample[0]))
			got := c.Redacted()[redactKey]
			if !containsField(got, sample[1]) {
				t.Errorf("%s=%q: Redacted()[%s] = %q, want %q", name, sample[0], redactKey, got, sample[1])
			}
		})
	}
	for env := range samples {
		found := false
		for _, k := range Keys() {
			found = found || k.Env == env
		}
		if !found {
			t.Errorf("sampleEnv has %s, which Keys() does not", env)
		}
	}
}

// containsField matches a whole value, or one space-separated field of a
// provider summary (whose name field may itself contain spaces).
func containsField(got, want string) bool {
	if strings.Contains(want, "=") {
		return strings.HasPrefix(got, want+" ") || strings.Contains(got, " "+want+" ") || strings.HasSuffix(got, " "+want)
	}
	return got == want
}

// TestEveryKeyFromFile sets each process-wide key through the file instead,
// and checks it lands where the environment variable does.
func TestEveryKeyFromFile(t *testing.T) {
	for _, s := range configSpecs() {
		t.Run(s.key.TOMLPath, func(t *testing.T) {
			raw := sampleEnv()[s.key.Env][0]
			var lit string
			switch s.kind {
			case kindInt:
				lit = raw
			case kindList:
				lit = `["` + strings.Join(strings.Split(raw, ","), `", "`) + `"]`
			default:
				lit = `"` + raw + `"`
			}
			table, leaf := "", s.key.TOMLPath
			if i := strings.LastIndexByte(leaf, '.'); i >= 0 {
				table, leaf = "["+leaf[:i]+"]\n", leaf[i+1:]
			}
			path := writeConfig(t, table+leaf+" = "+lit+"\n")
			e := prodEnv(t).with("LLM_PROVIDER_1_ID", "p1").withAll(notifyEnv()).without(s.key.Env)
			fromFile := mustLoad(t, path, e).Redacted()[s.key.Env]
			fromEnv := mustLoad(t, "", e.with(s.key.Env, raw)).Redacted()[s.key.Env]
			if fromFile != fromEnv {
				t.Errorf("%s from file = %q, from env = %q", s.key.TOMLPath, fromFile, fromEnv)
			}
		})
	}
}

func TestBadEnvValues(t *testing.T) {
	tests := []struct {
		key, value string
		want       string
	}{
		{"SERVER_PORT", "abc", `SERVER_PORT="abc": not a port number (1-65535)`},
		{"SERVER_PORT", "0", "not a port number"},
		{"SERVER_PORT", "65536", "not a port number"},
		{"CHATBOX_ENV", "staging", `must be "development" or "production"`},
		{"CHATBOX_PATH_PREFIX", "/chat room", "not a URL path prefix"},
		{"CHATBOX_PATH_PREFIX", "/a/../b", "not a clean URL path"},
		{"CHATBOX_PATH_PREFIX", "/{id}", "not a URL path prefix"},
		{"CORS_ALLOWED_ORIGINS", "https://a.example.com,admin.example.com", `"admin.example.com" is not an origin`},
		{"WS_ALLOWED_ORIGINS", "https://chat.example.com/app", "is not an origin"},
		{"SHUTDOWN_DRAIN_TIMEOUT", "25", "not a duration from 1ms to 1h0m0s (write it like 30s, 2m or 1h30m)"},
		{"SHUTDOWN_DRAIN_TIMEOUT", "-1s", "not a duration"},
		{"JWT_LEEWAY", "1h", "not a duration from 0s to 5m0s"},
		{"WS_MAX_MESSAGE_BYTES", "1023", "not a size in bytes"},
		{"WS_MAX_MESSAGE_BYTES", "16777217", "not a size in bytes"},
		{"WS_MAX_CONNECTIONS_PER_USER", "0", "not an integer from 1"},
		{"WS_SEND_QUEUE", "15", "not an integer from 16 to 65536"},
		{"WS_PING_INTERVAL", "0s", "not a duration from 1ms to 10m0s"},
		{"RATE_LIMIT_MESSAGES_PER_MINUTE", "-1", "not an integer"},
		{"RATE_LIMIT_BURST", "1.5", "not an integer"},
		{"LLM_HISTORY_MAX_MESSAGES", "0", "not an integer"},
		{"LLM_HISTORY_MAX_CHARS", "lots", "not an integer"},
		{"NATS_URL", "http://nats:4222", `scheme "http" is not a NATS scheme`},
		{"NATS_URL", "nats://user:hunter2@:4222", "not a NATS server URL"},
		{"LOG_LEVEL", "trace", "must be debug, info, warn or error"},
		{"LOG_FORMAT", "xml", `must be "json" or "text"`},
		{"LLM_DEFAULT_MODEL", "nope", `LLM_DEFAULT_MODEL="nope": no provider has this id (ids: provider-1)`},
		{"MONGO_URI", "postgres://admin:hunter2@db/chat", "MONGO_URI (value hidden): not a MongoDB URI"},
		{"ENCRYPTION_KEY", "c2hvcnQta2V5LXNlY3JldA==", "ENCRYPTION_KEY (value hidden): want base64 of exactly 32 bytes, got 16 bytes (generate one with: openssl rand -base64 32)"},
		{"ENCRYPTION_KEY", "not base64 secret!", "ENCRYPTION_KEY (value hidden): not valid base64"},
		{"ENCRYPTION_KEYS_OLD", testEncKey + ",c2hvcnQta2V5LXNlY3JldA==", "ENCRYPTION_KEYS_OLD (value hidden): key 2: want base64 of exactly 32 bytes, got 16 bytes"},
		{"ENCRYPTION_KEYS_OLD", "not base64 secret!", "ENCRYPTION_KEYS_OLD (value hidden): key 1: not valid base64"},
		{"LLM_PROVIDER_1_TIMEOUT", "soon", `LLM_PROVIDER_1_TIMEOUT="soon": not a duration`},
		{"LLM_PROVIDER_1_MAX_OUTPUT_TOKENS", "-5", "not an integer from 0"},
		{"LLM_PROVIDER_1_PRIORITY", "high", "not an integer"},
		{"LLM_PROVIDER_1_ID", "has space", "not a provider id"},
		{"LLM_PROVIDER_1_ENDPOINT", "ftp://files.example.com", `scheme "ftp" is not http or https`},
		{"LLM_PROVIDER_1_ENDPOINT", "not a url", "not a URL"},
		{"LOG_LEVEL", strings.Repeat("x", 500), strings.Repeat("x", 100) + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			e := prodEnv(t).with(tt.key, tt.value)
			_, err := load("", e)
			forbidden := []string{"hunter2", testJWTSecret, testEncKey, testAPIKey}
			if isSecretEnv(tt.key) {
				forbidden = append(forbidden, tt.value)
			}
			checkErr(t, err, []string{tt.key, tt.want}, forbidden...)
		})
	}
}

// isSecretEnv reports whether Keys() marks the variable name as secret.
func isSecretEnv(name string) bool {
	for _, k := range Keys() {
		if k.Env == name || providerEnv(k, 1) == name {
			return k.Secret
		}
	}
	return false
}

// TestFileCheckedUnderEnv: a broken file value is reported even when the
// environment overrides it, so it cannot surface later when the override
// is removed.
func TestFileCheckedUnderEnv(t *testing.T) {
	path := writeConfig(t, "[server]\nport = 0\n")
	_, err := load(path, secretsEnv().with("SERVER_PORT", "8080"))
	checkErr(t, err, []string{"server.port", path})
}

func TestBadFileValues(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"int as string", "[server]\nport = \"8080\"\n", []string{"server.port in ", "must be an integer, not a string"}},
		{"duration as number", "[server]\ndrain_timeout = 25\n", []string{"server.drain_timeout", `must be a duration string such as "30s", not an integer`}},
		{"out of range", "[server]\nport = 70000\n", []string{`server.port="70000" in `, "not a port number (1-65535)"}},
		{"list of numbers", "[websocket]\nallowed_origins = [1]\n", []string{"websocket.allowed_origins", "array of strings"}},
		{"table as value", "server = 5\n", []string{"server in ", "must be a table ([server])"}},
		{"providers not tables", "[llm]\nproviders = [1]\n", []string{"llm.providers", "array of tables"}},
		{"secret bad value", "[storage]\nencryption_key = \"aGVsbG8taHVudGVyMg==\"\n", []string{"storage.encryption_key (value hidden) in ", "got 13 bytes"}},
		{"provider field type", "[[llm.providers]]\ntype = \"openai\"\nmodel = \"m\"\napi_key = \"k\"\npriority = \"1\"\n", []string{"llm.providers[0].priority", "must be an integer"}},
		{"env key in file", "env = \"prod\"\n", []string{`env="prod" in `, `must be "development" or "production"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(path, secretsEnv())
			checkErr(t, err, append(tt.want, path), "aGVsbG8taHVudGVyMg")
		})
	}
}
