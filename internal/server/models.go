package server

import (
	"fmt"
	"log/slog"

	"github.com/chatboxhq/chatbox/internal/chat"
	"github.com/chatboxhq/chatbox/internal/config"
	"github.com/chatboxhq/chatbox/internal/llm/demo"
	"github.com/chatboxhq/chatbox/internal/llm/openai"
	"github.com/chatboxhq/chatbox/internal/metrics"
)

// defaultSystemPrompt is used by providers configured without one.
const defaultSystemPrompt = "You are a helpful, concise customer-support assistant. " +
	"If you cannot help, say so and offer to connect the user with a human."

// buildModels turns configured providers into the models users can pick.
// With none configured, the demo model stands in (development only; the
// config refuses that in production) and a warning says so.
func buildModels(cfg config.LLM, m *metrics.Metrics, log *slog.Logger) ([]chat.Model, error) {
	if len(cfg.Providers) == 0 {
		log.Warn("no LLM provider configured: using the built-in DEMO model, which only echoes; set LLM_PROVIDER_1_* for real answers")
		return []chat.Model{{
			ID: "demo", Name: "Demo (echo, no AI)", Upstream: "demo",
			Provider: m.InstrumentProvider(demo.New(), "demo"),
		}}, nil
	}
	models := make([]chat.Model, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		var provider chat.Provider
		switch p.Type {
		case "openai":
			op, err := openai.New(openai.Options{Name: p.ID, BaseURL: p.Endpoint, APIKey: p.APIKey})
			if err != nil {
				return nil, fmt.Errorf("LLM provider %q: %w", p.ID, err)
			}
			provider = op
		default:
			return nil, fmt.Errorf("LLM provider %q: unsupported type %q", p.ID, p.Type)
		}
		prompt := p.SystemPrompt
		if prompt == "" {
			prompt = defaultSystemPrompt
		}
		models = append(models, chat.Model{
			ID: p.ID, Name: p.Name, Upstream: p.Model,
			Provider:        m.InstrumentProvider(provider, p.Model),
			SystemPrompt:    prompt,
			MaxOutputTokens: p.MaxOutputTokens,
			Timeout:         p.Timeout,
		})
		log.Info("LLM provider configured", "id", p.ID, "type", p.Type, "model", p.Model, "endpoint", p.Endpoint)
	}
	return models, nil
}
