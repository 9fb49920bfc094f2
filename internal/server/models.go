package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/llm/anthropic"
	"github.com/chatboxhq/chatbox/internal/llm/demo"
	"github.com/chatboxhq/chatbox/internal/llm/dify"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
	"github.com/chatboxhq/chatbox/internal/metrics"
)

// defaultSystemPrompt is used by providers configured without one.
const defaultSystemPrompt = "You are a helpful, concise customer-support assistant. " +
	"If you cannot help, say so and offer to connect the user with a human."

// buildModels turns configured providers into the models users can pick.
// Every configured provider is a model (model_id = provider id) whose
// replies go to that provider first and, with LLM_FAILOVER, to the others
// in priority order when it fails before its first token. The returned
// group holds the providers' circuit breakers, for readiness and listings.
// With none configured, the demo model stands in (development only; the
// config refuses that in production), a warning says so, and the group is
// nil.
func buildModels(cfg config.LLM, m *metrics.Metrics, log *slog.Logger) ([]chat.Model, *failover.Group, error) {
	if len(cfg.Providers) == 0 {
		log.Warn("no LLM provider configured: using the built-in DEMO model, which only echoes; set LLM_PROVIDER_1_* for real answers")
		return []chat.Model{{
			ID: "demo", Name: "Demo (echo, no AI)", Upstream: "demo",
			Provider: m.InstrumentProvider(demo.New(), "demo"),
		}}, nil, nil
	}
	members := make([]failover.Member, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		provider, err := newProvider(p)
		if err != nil {
			return nil, nil, fmt.Errorf("LLM provider %q: %w", p.ID, err)
		}
		members = append(members, failover.Member{
			ID: p.ID,
			// Each provider is measured on its own, so one that failed
			// before another answered counts its own error.
			Provider:        m.InstrumentProvider(provider, p.Model),
			Model:           p.Model,
			SystemPrompt:    systemPrompt(p),
			MaxOutputTokens: p.MaxOutputTokens,
			Vision:          p.Vision,
		})
		log.Info("LLM provider configured", "id", p.ID, "type", p.Type, "model", p.Model, "endpoint", config.RedactURL(p.Endpoint))
	}
	group, err := failover.New(members, failover.Options{FirstTokenTimeout: cfg.FirstTokenTimeout, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("LLM providers: %w", err)
	}
	models := make([]chat.Model, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		chain, err := group.Chain(p.ID, cfg.Failover)
		if err != nil {
			return nil, nil, fmt.Errorf("LLM provider %q: %w", p.ID, err)
		}
		models = append(models, chat.Model{
			ID: p.ID, Name: p.Name, Upstream: p.Model,
			Provider:        chain,
			SystemPrompt:    systemPrompt(p),
			MaxOutputTokens: p.MaxOutputTokens,
			Timeout:         p.Timeout,
			Vision:          p.Vision,
		})
	}
	if len(cfg.Providers) > 1 {
		log.Info("LLM failover", "enabled", cfg.Failover, "first_token_timeout", cfg.FirstTokenTimeout)
	}
	return models, group, nil
}

// newProvider builds the adapter for one configured provider.
func newProvider(p config.Provider) (chat.Provider, error) {
	switch p.Type {
	case config.TypeOpenAI:
		return openai.New(openai.Options{Name: p.ID, BaseURL: p.Endpoint, APIKey: p.APIKey})
	case config.TypeAnthropic:
		return anthropic.New(anthropic.Options{Name: p.ID, BaseURL: p.Endpoint, APIKey: p.APIKey})
	case config.TypeDify:
		return dify.New(dify.Options{Name: p.ID, BaseURL: p.Endpoint, APIKey: p.APIKey})
	}
	return nil, fmt.Errorf("unsupported type %q", p.Type)
}

func systemPrompt(p config.Provider) string {
	if p.SystemPrompt == "" {
		return defaultSystemPrompt
	}
	return p.SystemPrompt
}

// llmReady is the readiness check of the models: it fails only when every
// provider's circuit breaker is open, so no reply could be answered. One
// provider down is not a reason to take the instance out of rotation: the
// others answer, and every replica shares the same providers anyway. The
// breakers turn half-open after their cool-down, which makes the instance
// ready again without any request reaching it.
func (a *App) llmReady(ctx context.Context) error {
	if a.llm == nil {
		return nil
	}
	return a.llm.Ready(ctx)
}
