// Package config loads Chatbox's settings from built-in defaults, an optional
// TOML file and the environment, in that order of precedence, and validates
// them before anything starts.
//
// One table (see Keys) names every setting once: its environment variable,
// its path in the TOML file, its default and its documentation. Loading,
// defaults, the start-up log line (Config.Redacted) and the documentation
// tests all read that table, so a key cannot be documented without being
// read, or read without being documented.
//
// Errors are one line, name the key and where its value came from, and never
// contain a secret's value. In production (CHATBOX_ENV=production) missing
// secrets, an empty WebSocket origin allow-list and a missing model provider
// stop the start; in development missing secrets are generated once and kept
// in <CHATBOX_DATA_DIR>/dev-secrets.json.
package config
