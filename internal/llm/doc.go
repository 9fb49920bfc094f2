// Package llm holds what every model provider adapter shares: how a failure
// is classified for failover (Retryable, Error), Retry-After parsing and
// secret redaction. The adapters live in the sub-packages: openai,
// anthropic, dify, demo; failover chains them.
package llm
