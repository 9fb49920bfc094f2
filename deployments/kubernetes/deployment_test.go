package kubernetes

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Shutdown phases of internal/server after the drain (closeSocketsTimeout
// and httpShutdownTimeout there): closing sockets with 1012, then stopping
// HTTP.
const afterDrain = 5*time.Second + 5*time.Second

// readyzBudget is how long /chat/readyz may take (readyTimeout in
// internal/httpapi); the readiness probe must wait longer.
const readyzBudget = 2 * time.Second

func TestDeploymentShape(t *testing.T) {
	d, c := chatbox(t)
	if d.Labels["app"] != "chatbox" || d.Spec.Template.Labels["app"] != "chatbox" {
		t.Errorf("Deployment and pods must carry app: chatbox (kubectl -l app=chatbox)")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas = %v, want 3", d.Spec.Replicas)
	}
	s := d.Spec.Strategy
	if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
		*s.RollingUpdate.MaxSurge != intstr.FromInt32(1) || *s.RollingUpdate.MaxUnavailable != intstr.FromInt32(0) {
		t.Errorf("strategy %+v, want RollingUpdate with maxSurge 1, maxUnavailable 0", s)
	}
	if c.Image != "chatbox-websocket:latest" {
		t.Errorf("image = %q, want chatbox-websocket:latest (the guide tells operators to replace it)", c.Image)
	}
	for what, got := range map[string]map[corev1.ResourceName]resource.Quantity{"requests": c.Resources.Requests, "limits": c.Resources.Limits} {
		want := map[string]map[corev1.ResourceName]string{
			"requests": {corev1.ResourceCPU: "250m", corev1.ResourceMemory: "256Mi"},
			"limits":   {corev1.ResourceCPU: "1000m", corev1.ResourceMemory: "1Gi"},
		}[what]
		for name, w := range want {
			if q, ok := got[name]; !ok || q.Cmp(resource.MustParse(w)) != 0 {
				t.Errorf("%s %s = %v, want %s", what, name, got[name], w)
			}
		}
	}
}

func TestProbeTiming(t *testing.T) {
	cfg := manifestConfig(t)
	_, c := chatbox(t)
	prefix := cfg.Server.PathPrefix
	for name, tc := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"startup":   {c.StartupProbe, prefix + "/healthz"},
		"liveness":  {c.LivenessProbe, prefix + "/healthz"},
		"readiness": {c.ReadinessProbe, prefix + "/readyz"},
	} {
		if tc.probe.HTTPGet.Path != tc.path {
			t.Errorf("%s probe path = %s, want %s", name, tc.probe.HTTPGet.Path, tc.path)
		}
		if time.Duration(tc.probe.TimeoutSeconds)*time.Second <= readyzBudget {
			t.Errorf("%s probe times out after %ds; /readyz may take %v", name, tc.probe.TimeoutSeconds, readyzBudget)
		}
	}
	sp := c.StartupProbe
	if allowed := sp.InitialDelaySeconds + sp.PeriodSeconds*sp.FailureThreshold; allowed != 60 {
		t.Errorf("startup probe allows %ds, want 60s", allowed)
	}
}

// The pod outlives its own shutdown: the preStop delay lets endpoints
// drop it, then SIGTERM starts a drain of SHUTDOWN_DRAIN_TIMEOUT and the
// socket and HTTP phases; the kubelet must not kill it before.
func TestGracePeriodCoversShutdown(t *testing.T) {
	cfg := manifestConfig(t)
	d, c := chatbox(t)
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds < 1 {
		t.Fatal("no preStop sleep: SIGTERM would arrive while endpoints still route new sockets here")
	}
	preStop := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if need := preStop + cfg.Server.DrainTimeout + afterDrain; grace <= need {
		t.Errorf("terminationGracePeriodSeconds %v <= preStop %v + SHUTDOWN_DRAIN_TIMEOUT %v + %v after the drain", grace, preStop, cfg.Server.DrainTimeout, afterDrain)
	}
}

// Pod Security Standard "restricted", plus a read-only root file system
// with the data directory on an emptyDir.
func TestPodSecurityRestricted(t *testing.T) {
	cfg := manifestConfig(t)
	d, c := chatbox(t)
	pod := d.Spec.Template.Spec
	ps := pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
		t.Fatalf("pod must run as a non-root user: %+v", ps)
	}
	if ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod seccompProfile must be RuntimeDefault")
	}
	cs := c.SecurityContext
	switch {
	case cs == nil:
		t.Fatal("container has no securityContext")
	case cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation:
		t.Error("allowPrivilegeEscalation must be false")
	case cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem:
		t.Error("readOnlyRootFilesystem must be true")
	case cs.Capabilities == nil || len(cs.Capabilities.Drop) != 1 || cs.Capabilities.Drop[0] != "ALL" || len(cs.Capabilities.Add) != 0:
		t.Error("capabilities must drop ALL and add none")
	case cs.Privileged != nil && *cs.Privileged:
		t.Error("privileged container")
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Error("host namespaces are not allowed by the restricted profile")
	}
	if user := imageUser(t); user != *ps.RunAsUser {
		t.Errorf("runAsUser %d differs from the image's USER %d", *ps.RunAsUser, user)
	}

	// The data directory is writable: an emptyDir mounted at CHATBOX_DATA_DIR.
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.MountPath != cfg.DataDir {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil && !m.ReadOnly {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("CHATBOX_DATA_DIR %s is not a writable emptyDir mount", cfg.DataDir)
	}
}
