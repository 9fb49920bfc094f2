package kubernetes

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Files of deployments/monitoring.
const (
	rulesFile     = "../monitoring/prometheusrule.yaml"
	dashboardFile = "../monitoring/grafana-dashboard.json"
)

// externalMetrics are metric names the rules and the dashboard read from
// other exporters, with the exporter.
var externalMetrics = map[string]string{
	"kube_deployment_status_replicas_available": "kube-state-metrics",
	"kube_deployment_spec_replicas":             "kube-state-metrics",
}

// prometheusRule mirrors the Prometheus Operator's monitoring.coreos.com/v1
// PrometheusRule, only the fields these rules use, decoded strictly: a
// misspelt or misplaced field is an error, as the operator's CRD
// validation would reject it. (A local struct instead of the operator's
// Go module keeps this package's dependencies as they are.)
type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for,omitempty"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

func loadRules(t *testing.T) prometheusRule {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var r prometheusRule
	if err := decodeStrict(data, &r); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return r
}

// dashboardExprs returns every query of the Grafana dashboard, by panel.
func dashboardExprs(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	out := map[string][]string{}
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			out[p.Title] = append(out[p.Title], target.Expr)
		}
	}
	return out
}

// promqlKeywords are the words of PromQL that look like metric names.
var promqlKeywords = map[string]bool{
	"sum": true, "max": true, "min": true, "avg": true, "count": true, "by": true, "without": true,
	"rate": true, "increase": true, "histogram_quantile": true, "or": true, "and": true, "unless": true,
	"on": true, "ignoring": true, "le": true, "bool": true,
}

var (
	identifierPattern = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	quotedPattern     = regexp.MustCompile(`"[^"]*"`)
	groupingPattern   = regexp.MustCompile(`\b(?:by|without|on|ignoring)\s*\([^)]*\)`)
	matcherPattern    = regexp.MustCompile(`\{[^}]*\}`)
	rangePattern      = regexp.MustCompile(`\[[^\]]*\]`)
)

// metricNames returns the metric names an expression selects: identifiers
// outside label matchers, grouping clauses, ranges and strings that are
// not PromQL words or functions (followed by "(").
func metricNames(expr string) []string {
	s := quotedPattern.ReplaceAllString(expr, `""`)
	s = matcherPattern.ReplaceAllString(s, " ")
	s = groupingPattern.ReplaceAllString(s, " ")
	s = rangePattern.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range identifierPattern.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		rest := strings.TrimSpace(s[loc[1]:])
		if promqlKeywords[word] || strings.HasPrefix(rest, "(") {
			continue
		}
		names = append(names, word)
	}
	return names
}

// balanced reports whether expr's brackets pair up.
func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range quotedPattern.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '[', '{':
			stack = append(stack, r)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

// scrapedMetrics returns the metric family names on /metrics of the real
// server configured from the manifests, joined with every name the metrics
// package registers (labelled vectors without a series yet are absent from
// a scrape until their labels are initialised at start).
func scrapedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	_, base := startServer(t)
	d, _ := chatbox(t)
	status, body := get(t, base+d.Spec.Template.Annotations["prometheus.io/path"])
	if status != 200 {
		t.Fatalf("GET /metrics = %d", status)
	}
	names := exportedMetrics(t)
	for _, m := range regexp.MustCompile(`(?m)^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) `).FindAllStringSubmatch(body, -1) {
		names[m[1]] = true
	}
	return names
}

// served reports whether name is a served metric, directly or as a
// histogram's _bucket, _sum or _count series.
func served(names map[string]bool, name string) bool {
	if names[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && names[base] {
			return true
		}
	}
	return false
}

// The alerting rules are a well-formed PrometheusRule: every rule alerts,
// with a severity, a summary and a description, a valid for: duration and
// a balanced expression.
func TestAlertRulesAreAWellFormedPrometheusRule(t *testing.T) {
	r := loadRules(t)
	if r.APIVersion != "monitoring.coreos.com/v1" || r.Kind != "PrometheusRule" || r.Metadata.Name == "" {
		t.Fatalf("%s is %s %s %q, want a monitoring.coreos.com/v1 PrometheusRule", rulesFile, r.APIVersion, r.Kind, r.Metadata.Name)
	}
	seen := map[string]bool{}
	for _, g := range r.Spec.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" || seen[rule.Alert] {
				t.Errorf("group %s: rule %q has no alert name or repeats one", g.Name, rule.Alert)
			}
			seen[rule.Alert] = true
			if s := rule.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", rule.Alert, s)
			}
			if rule.Annotations["summary"] == "" || rule.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", rule.Alert)
			}
			if rule.For != "" {
				if d, err := time.ParseDuration(rule.For); err != nil || d <= 0 {
					t.Errorf("%s: for: %q is not a duration", rule.Alert, rule.For)
				}
			}
			if !balanced(rule.Expr) || len(metricNames(rule.Expr)) == 0 {
				t.Errorf("%s: expression %q is unbalanced or selects no metric", rule.Alert, rule.Expr)
			}
		}
	}
	// What issue 17 asks to page on.
	for _, alert := range []string{"ChatboxNoReadyReplicas", "ChatboxModelErrorsHigh", "ChatboxModelBreakerOpen",
		"ChatboxStorageFailing", "ChatboxNotificationOutboxBacklog", "ChatboxSlowConsumers", "ChatboxTokenDeliverySlow"} {
		if !seen[alert] {
			t.Errorf("%s has no alert %s", rulesFile, alert)
		}
	}
}

// Every metric the rules and the dashboard read is served by the real
// server, or comes from a named other exporter: a renamed metric cannot
// leave an alert silently watching nothing.
func TestDashboardAndAlertsReadServedMetrics(t *testing.T) {
	names := scrapedMetrics(t)
	exprs := dashboardExprs(t)
	if len(exprs) == 0 {
		t.Fatalf("%s has no queries", dashboardFile)
	}
	for _, g := range loadRules(t).Spec.Groups {
		for _, rule := range g.Rules {
			exprs["alert "+rule.Alert] = append(exprs["alert "+rule.Alert], rule.Expr)
		}
	}
	for where, list := range exprs {
		for _, expr := range list {
			if !balanced(expr) {
				t.Errorf("%s: unbalanced expression %q", where, expr)
			}
			for _, name := range metricNames(expr) {
				if _, external := externalMetrics[name]; external {
					continue
				}
				if !served(names, name) {
					t.Errorf("%s reads %s, which the server does not serve (%q)", where, name, expr)
				}
			}
		}
	}
}

func TestMetricNamesOfAnExpression(t *testing.T) {
	got := metricNames(`histogram_quantile(0.95, sum by (le, provider) (rate(chatbox_llm_latency_seconds_bucket{job="x"}[10m]))) > 10 or max without (provider) (chatbox_llm_breaker_open) == 1`)
	if strings.Join(got, " ") != "chatbox_llm_latency_seconds_bucket chatbox_llm_breaker_open" {
		t.Errorf("metricNames = %q", got)
	}
}
