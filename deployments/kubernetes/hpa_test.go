package kubernetes

import (
	"os"
	"slices"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
)

const hpaName = "chatbox-websocket-hpa"

// The seed's per-pod targets for the advanced HPA.
var podMetricTargets = map[string]string{
	"chatbox_websocket_connections_total": "100",
	"chatbox_active_sessions_total":       "50",
}

// checkResourceHPA checks what the basic and the advanced HPA share: the
// target, 3 to 10 replicas, CPU 70% and memory 80%.
func checkResourceHPA(t *testing.T, file string, hpa *autoscalingv2.HorizontalPodAutoscaler) {
	t.Helper()
	ref := hpa.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != deploymentName {
		t.Errorf("%s: HPA scales %s %s, want Deployment %s", file, ref.Kind, ref.Name, deploymentName)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas != 10 {
		t.Errorf("%s: HPA scales between %v and %d replicas, want 3 and 10", file, hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	utilization := map[corev1.ResourceName]int32{}
	for _, m := range hpa.Spec.Metrics {
		if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource.Target.AverageUtilization != nil {
			utilization[m.Resource.Name] = *m.Resource.Target.AverageUtilization
		}
	}
	if utilization[corev1.ResourceCPU] != 70 || utilization[corev1.ResourceMemory] != 80 {
		t.Errorf("%s: HPA targets %v utilization, want cpu 70 and memory 80", file, utilization)
	}
	if b := hpa.Spec.Behavior; b == nil || b.ScaleDown == nil || b.ScaleDown.StabilizationWindowSeconds == nil || *b.ScaleDown.StabilizationWindowSeconds < 300 {
		t.Errorf("%s: scaling down closes sockets; wait at least 300s before it", file)
	}
}

func TestBasicHPA(t *testing.T) {
	hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, loadFile(t, "deployment.yaml"), hpaName)
	checkResourceHPA(t, "deployment.yaml", hpa)
	if len(hpa.Spec.Metrics) != 2 {
		t.Errorf("the basic HPA uses %d metrics; it needs only metrics-server (CPU and memory)", len(hpa.Spec.Metrics))
	}
}

func TestAdvancedHPAScalesOnExportedGauges(t *testing.T) {
	hpa := one[autoscalingv2.HorizontalPodAutoscaler](t, loadFile(t, "hpa.yaml"), hpaName)
	checkResourceHPA(t, "hpa.yaml", hpa)
	exported := exportedMetrics(t)
	got := map[string]string{}
	for _, m := range hpa.Spec.Metrics {
		if m.Type != autoscalingv2.PodsMetricSourceType {
			continue
		}
		name := m.Pods.Metric.Name
		if !exported[name] {
			t.Errorf("hpa.yaml scales on %s, which the server does not export", name)
		}
		if m.Pods.Target.Type != autoscalingv2.AverageValueMetricType || m.Pods.Target.AverageValue == nil {
			t.Errorf("hpa.yaml: %s must target an average value per pod", name)
			continue
		}
		got[name] = m.Pods.Target.AverageValue.String()
	}
	for name, want := range podMetricTargets {
		if got[name] != want {
			t.Errorf("hpa.yaml: %s target per pod = %q, want %s", name, got[name], want)
		}
	}
	if len(got) != len(podMetricTargets) {
		t.Errorf("hpa.yaml scales on pod metrics %v, want exactly %v", got, podMetricTargets)
	}
}

// The adapter rules must serve each HPA metric under its own name and as
// the gauge's value: the adapter's default rules would rename *_total
// series and turn them into rates.
func TestPrometheusAdapterRulesServeHPAMetrics(t *testing.T) {
	data, err := os.ReadFile("prometheus-adapter-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Prometheus struct {
			URL  string `json:"url"`
			Port int    `json:"port"`
		} `json:"prometheus"`
		Rules struct {
			Default bool `json:"default"`
			Custom  []struct {
				SeriesQuery string `json:"seriesQuery"`
				Resources   struct {
					Overrides map[string]struct {
						Resource string `json:"resource"`
					} `json:"overrides"`
				} `json:"resources"`
				Name struct {
					Matches string `json:"matches"`
					As      string `json:"as"`
				} `json:"name"`
				MetricsQuery string `json:"metricsQuery"`
			} `json:"custom"`
		} `json:"rules"`
	}
	if err := decodeStrict(data, &values); err != nil {
		t.Fatalf("prometheus-adapter-values.yaml: %v", err)
	}
	if values.Rules.Default {
		t.Error("the adapter's default rules are on: they serve *_total series as rates under other names")
	}
	var served []string
	for _, r := range values.Rules.Custom {
		served = append(served, r.Name.As)
		if !strings.HasPrefix(r.SeriesQuery, r.Name.As+"{") {
			t.Errorf("rule for %s reads series %q", r.Name.As, r.SeriesQuery)
		}
		if strings.Contains(r.MetricsQuery, "rate(") {
			t.Errorf("rule for %s serves a rate of a gauge", r.Name.As)
		}
		if r.Resources.Overrides["pod"].Resource != "pod" || r.Resources.Overrides["namespace"].Resource != "namespace" {
			t.Errorf("rule for %s does not map the pod and namespace labels", r.Name.As)
		}
	}
	for name := range podMetricTargets {
		if !slices.Contains(served, name) {
			t.Errorf("no adapter rule serves %s, which hpa.yaml needs", name)
		}
	}
}
