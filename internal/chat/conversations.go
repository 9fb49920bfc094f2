package chat

import (
	"maps"
	"sync"
)

// ConversationIDs gives providers that keep their own conversation memory
// (Dify) the id they gave one chat session's conversation, and lets them
// report a new one. The assistant passes one per reply in the
// CompletionRequest and stores what changed with the session, so the
// provider keeps its memory across replies, restarts and replicas.
// Providers without such memory never look at it.
//
// Ids are per provider (Provider.Name(), its configured id): after a
// failover, another Dify app must not receive the first one's id.
type ConversationIDs interface {
	// ConversationID returns the id provider gave this session's
	// conversation, "" if it has none yet.
	ConversationID(provider string) string
	// SetConversationID records the id provider now uses for this
	// session's conversation: a new conversation, or a fresh one replacing
	// an id the provider no longer knows. Providers call it from within
	// Stream, before Stream returns, only when the id differs from
	// ConversationID's, and also when the reply then fails (the provider
	// has stored the conversation regardless).
	SetConversationID(provider, id string)
}

// ConversationMap is a ConversationIDs held in memory, safe for concurrent
// use: load a session's stored ids into it, pass it with the request, then
// store Changed.
type ConversationMap struct {
	mu      sync.Mutex
	ids     map[string]string
	changed map[string]string
}

// NewConversationMap returns a ConversationMap starting from ids (provider
// id -> conversation id), which it copies.
func NewConversationMap(ids map[string]string) *ConversationMap {
	m := &ConversationMap{ids: maps.Clone(ids), changed: map[string]string{}}
	if m.ids == nil {
		m.ids = map[string]string{}
	}
	return m
}

// ConversationID implements ConversationIDs.
func (m *ConversationMap) ConversationID(provider string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ids[provider]
}

// SetConversationID implements ConversationIDs.
func (m *ConversationMap) SetConversationID(provider, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ids[provider] = id
	m.changed[provider] = id
}

// Changed returns the ids set since NewConversationMap, by provider.
func (m *ConversationMap) Changed() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.changed)
}
