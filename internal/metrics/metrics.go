// Package metrics defines Chatbox's Prometheus metrics. Names come from the
// deployment guide and are promises to operators (dashboards, the HPA); see
// README.md in this directory. Nothing is registered globally: main builds a
// registry and passes it to New.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every collector Chatbox updates.
type Metrics struct {
	WebSocketConnections prometheus.Gauge
	ActiveSessions       prometheus.Gauge
	MessagesReceived     *prometheus.CounterVec   // by frame type
	MessagesSent         *prometheus.CounterVec   // by frame type
	LLMRequests          *prometheus.CounterVec   // by provider, model
	LLMLatency           *prometheus.HistogramVec // time to first token, by provider, model
	LLMReplyDuration     *prometheus.HistogramVec // whole successful reply, by provider, model
	LLMErrors            *prometheus.CounterVec   // by provider, model
	TokensUsed           *prometheus.CounterVec   // by provider, model, kind
	SessionsCreated      prometheus.Counter
	SessionsEnded        *prometheus.CounterVec // by reason
	SessionsDeleted      *prometheus.CounterVec // by reason: retention or request
	SlowConsumers        prometheus.Counter
	AdminTakeovers       prometheus.Counter
	Notifications        *prometheus.CounterVec // admin notification outcomes, by channel, result
	Uploads              *prometheus.CounterVec // file uploads, by result
	UploadBytes          prometheus.Counter     // bytes of accepted uploads
	UploadsExpired       prometheus.Counter     // unattached uploads deleted by the sweep
	UploadBytesExpired   prometheus.Counter     // their bytes
}

// New creates the collectors and registers them, together with the Go runtime
// and process collectors (process_resident_memory_bytes feeds the load
// harness), on reg.
func New(reg prometheus.Registerer) *Metrics {
	llm := []string{"provider", "model"}
	m := &Metrics{
		WebSocketConnections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatbox_websocket_connections_total",
			Help: "WebSocket connections currently open on this instance.",
		}),
		ActiveSessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chatbox_active_sessions_total",
			Help: "Sessions with at least one WebSocket connection on this instance.",
		}),
		MessagesReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_messages_received_total",
			Help: "WebSocket frames received from clients, by frame type.",
		}, []string{"type"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_messages_sent_total",
			Help: "WebSocket frames sent to clients, by frame type.",
		}, []string{"type"}),
		LLMRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_llm_requests_total",
			Help: "Completion requests sent to LLM providers.",
		}, llm),
		LLMLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatbox_llm_latency_seconds",
			Help:    "Time from sending a completion request to its first streamed token: what a user waits before the reply starts.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30},
		}, llm),
		LLMReplyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatbox_llm_reply_duration_seconds",
			Help:    "Duration of a whole successful streamed completion, request to last token.",
			Buckets: []float64{0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120},
		}, llm),
		LLMErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_llm_errors_total",
			Help: "Completion requests that failed (including mid-stream failures).",
		}, llm),
		TokensUsed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_tokens_used_total",
			Help: "Tokens reported by providers' usage fields (never estimated), by kind (input or output).",
		}, []string{"provider", "model", "kind"}),
		SessionsCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_sessions_created_total",
			Help: "Chat sessions created.",
		}),
		SessionsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_sessions_ended_total",
			Help: "Chat sessions ended, by reason (user, admin, idle).",
		}, []string{"reason"}),
		SessionsDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_sessions_deleted_total",
			Help: "Sessions deleted with their messages, uploads and notifications, by reason (retention, request).",
		}, []string{"reason"}),
		AdminTakeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_admin_takeovers_total",
			Help: "Sessions taken over by a human admin.",
		}),
		SlowConsumers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_websocket_slow_consumers_total",
			Help: "Connections closed because they did not read fast enough (clients resume by seq).",
		}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_notifications_total",
			Help: "Admin notification outcomes, by channel (email, sms, log) and result (sent, retry, failed, rate_limited, deduplicated).",
		}, []string{"channel", "result"}),
		Uploads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatbox_uploads_total",
			Help: "File uploads, by result (stored, too_large, rejected, rate_limited, quota_exceeded, error).",
		}, []string{"result"}),
		UploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_upload_bytes_stored_total",
			Help: "Bytes of uploaded files accepted and stored.",
		}),
		UploadsExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_uploads_expired_total",
			Help: "Uploaded files never sent in a message and deleted after UPLOAD_UNATTACHED_TTL.",
		}),
		UploadBytesExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbox_upload_bytes_expired_total",
			Help: "Bytes of the uploaded files deleted after UPLOAD_UNATTACHED_TTL unsent.",
		}),
	}
	reg.MustRegister(
		m.WebSocketConnections, m.ActiveSessions, m.MessagesReceived, m.MessagesSent,
		m.LLMRequests, m.LLMLatency, m.LLMReplyDuration, m.LLMErrors, m.TokensUsed,
		m.SessionsCreated, m.SessionsEnded, m.SessionsDeleted, m.SlowConsumers, m.AdminTakeovers, m.Notifications,
		m.Uploads, m.UploadBytes, m.UploadsExpired, m.UploadBytesExpired,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}
