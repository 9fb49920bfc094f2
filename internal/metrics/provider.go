package metrics

import (
	"context"
	"time"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// instrumentedProvider decorates a chat.Provider with request,
// time-to-first-token, reply-duration, error and token-usage metrics, so
// providers stay free of metrics code. Under failover each provider of a
// chain is decorated on its own, so a provider that failed before another
// answered counts its own request and error.
type instrumentedProvider struct {
	next  chat.Provider
	model string
	m     *Metrics
}

// InstrumentProvider wraps p so every Stream call is measured under the
// labels provider=p.Name(), model=model.
func (m *Metrics) InstrumentProvider(p chat.Provider, model string) chat.Provider {
	return &instrumentedProvider{next: p, model: model, m: m}
}

func (p *instrumentedProvider) Name() string { return p.next.Name() }

func (p *instrumentedProvider) Stream(ctx context.Context, req chat.CompletionRequest, emit func(string) error) (chat.Completion, error) {
	name := p.next.Name()
	p.m.LLMRequests.WithLabelValues(name, p.model).Inc()
	start := time.Now()
	first := true
	c, err := p.next.Stream(ctx, req, func(delta string) error {
		if first {
			first = false
			p.m.LLMLatency.WithLabelValues(name, p.model).Observe(time.Since(start).Seconds())
		}
		return emit(delta)
	})
	if err != nil {
		p.m.LLMErrors.WithLabelValues(name, p.model).Inc()
	} else {
		p.m.LLMReplyDuration.WithLabelValues(name, p.model).Observe(time.Since(start).Seconds())
	}
	p.m.TokensUsed.WithLabelValues(name, p.model, "input").Add(float64(c.Usage.InputTokens))
	p.m.TokensUsed.WithLabelValues(name, p.model, "output").Add(float64(c.Usage.OutputTokens))
	return c, err
}

// repository decorates a chat.Repository to count session lifecycle events
// at the one place every path goes through.
type repository struct {
	chat.Repository
	m *Metrics
}

// InstrumentRepository wraps r so sessions created and ended are counted.
func (m *Metrics) InstrumentRepository(r chat.Repository) chat.Repository {
	return &repository{Repository: r, m: m}
}

func (r *repository) StartSession(ctx context.Context, s chat.Session, first chat.SealedMessage) (chat.AppendResult, error) {
	res, err := r.Repository.StartSession(ctx, s, first)
	if err == nil && !res.Duplicate {
		r.m.SessionsCreated.Inc()
	}
	return res, err
}

func (r *repository) EndSession(ctx context.Context, id, reason string, at time.Time) (chat.Session, bool, error) {
	s, changed, err := r.Repository.EndSession(ctx, id, reason, at)
	if err == nil && changed {
		r.m.SessionsEnded.WithLabelValues(reason).Inc()
	}
	return s, changed, err
}
