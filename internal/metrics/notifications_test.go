package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNotificationsCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.Notifications.WithLabelValues("email", "sent").Inc()
	m.Notifications.WithLabelValues("sms", "retry").Add(2)
	if n := testutil.CollectAndCount(m.Notifications, "chatbox_notifications_total"); n != 2 {
		t.Errorf("%d series, want 2", n)
	}
	if v := testutil.ToFloat64(m.Notifications.WithLabelValues("sms", "retry")); v != 2 {
		t.Errorf("sms/retry = %v, want 2", v)
	}
}
