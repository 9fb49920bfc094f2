// Package llm holds what every model provider adapter shares: how a failure
// is classified for failover (Retryable, Error), Retry-After parsing, and
// the request-scoped hook through which providers that keep their own
// conversation memory (Dify) read and report their conversation ids
// (WithConversations).
//
// It imports only the standard library, so the chat domain can use the
// conversation hook without depending on any adapter. The adapters live in
// the sub-packages: openai, anthropic, dify, demo; failover chains them.
package llm
