// Package chat is the chat domain: sessions, messages, their per-session
// sequencing, and the assistant loop that answers users through a Provider.
//
// The package knows nothing of WebSocket, HTTP, SQL, BSON or NATS. It owns the
// interfaces its adapters implement (Repository, Sealer, Provider, Bus), each
// with its contract written above it; adapters depend on this package, never
// the reverse.
package chat
