package kubernetes

import (
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatboxhq/chatbox/internal/metrics"
)

// descRecorder is a prometheus.Registerer that keeps the name of every
// metric registered with it, including vectors that have no series yet
// (which a scrape would not show).
type descRecorder struct{ names map[string]bool }

var fqNamePattern = regexp.MustCompile(`fqName: "([^"]+)"`)

func (r *descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	for d := range ch {
		if m := fqNamePattern.FindStringSubmatch(d.String()); m != nil {
			r.names[m[1]] = true
		}
	}
	return nil
}

func (r *descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *descRecorder) Unregister(prometheus.Collector) bool { return true }

// exportedMetrics returns the name of every metric the server registers.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	r := &descRecorder{names: map[string]bool{}}
	metrics.New(r)
	if len(r.names) == 0 {
		t.Fatal("metrics.New registered nothing")
	}
	return r.names
}
