package server

import (
	"context"
	"fmt"

	"github.com/chatboxhq/chatbox/internal/httpapi"
	"github.com/chatboxhq/chatbox/internal/llm/failover"
	"github.com/chatboxhq/chatbox/internal/metrics"
)

// readyChecks are the conditions of /readyz: storage, the bus, a model and
// the upload storage. Each failure is counted in
// chatbox_readiness_check_failures_total, so alerts see a failing
// dependency even on an instance no user talks to.
func (a *App) readyChecks() ([]httpapi.Check, error) {
	checks := []httpapi.Check{
		{Name: "storage", Fn: a.repo.Ping},
		{Name: "bus", Fn: func(context.Context) error { return a.bus.Ping() }},
		{Name: "llm", Fn: a.llmReady},
		{Name: "blob", Fn: a.blobProbe.Check},
	}
	names := make([]string, len(checks))
	for i, c := range checks {
		names[i] = c.Name
	}
	failures, err := metrics.NewReadinessFailures(a.registry, names...)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	for i, c := range checks {
		checks[i].Fn = failures.Count(c.Name, c.Fn)
	}
	return checks, nil
}

// breakerStates reads every provider's breaker for
// chatbox_llm_breaker_open.
func breakerStates(g *failover.Group) func() map[string]bool {
	return func() map[string]bool {
		statuses := g.Statuses()
		open := make(map[string]bool, len(statuses))
		for _, s := range statuses {
			open[s.ID] = s.State == failover.Open
		}
		return open
	}
}
