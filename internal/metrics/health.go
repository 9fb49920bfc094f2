package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// breakerOpenDesc describes chatbox_llm_breaker_open.
var breakerOpenDesc = prometheus.NewDesc("chatbox_llm_breaker_open",
	"1 while the provider's circuit breaker is open (the provider is skipped until a probe shows it is back), else 0.",
	[]string{"provider"}, nil)

// breakers is a collector reading the providers' breakers at scrape time,
// so the gauge can never disagree with what replies see.
type breakers struct{ open func() map[string]bool }

func (b breakers) Describe(ch chan<- *prometheus.Desc) { ch <- breakerOpenDesc }

func (b breakers) Collect(ch chan<- prometheus.Metric) {
	for provider, open := range b.open() {
		v := 0.0
		if open {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(breakerOpenDesc, prometheus.GaugeValue, v, provider)
	}
}

// RegisterBreakers registers chatbox_llm_breaker_open on reg, one series
// per provider open returns (provider id to whether its breaker is open);
// every configured provider is present from the start, so alerts see 0,
// not "no data".
func RegisterBreakers(reg prometheus.Registerer, open func() map[string]bool) error {
	return reg.Register(breakers{open: open})
}

// ReadinessFailures counts failed readiness checks by check name; see
// CountReadiness.
type ReadinessFailures struct{ vec *prometheus.CounterVec }

// NewReadinessFailures registers chatbox_readiness_check_failures_total on
// reg with a zero series for each of checks, so a dashboard shows 0 rather
// than "no data" after a restart.
func NewReadinessFailures(reg prometheus.Registerer, checks ...string) (*ReadinessFailures, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "chatbox_readiness_check_failures_total",
		Help: "Readiness checks (storage, bus, llm, blob) that failed when /readyz was probed, by check.",
	}, []string{"check"})
	if err := reg.Register(vec); err != nil {
		return nil, err
	}
	for _, c := range checks {
		vec.WithLabelValues(c)
	}
	return &ReadinessFailures{vec: vec}, nil
}

// Count wraps a readiness check so each failure is counted under name.
// The kubelet probes every pod every few seconds, so the counter's rate
// tracks how long a dependency has been failing even without user traffic.
func (r *ReadinessFailures) Count(name string, check func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		err := check(ctx)
		if err != nil {
			r.vec.WithLabelValues(name).Inc()
		}
		return err
	}
}
