package kubernetes

import (
	"slices"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestServiceKeepsClientsOnOnePod(t *testing.T) {
	svc := one[corev1.Service](t, loadFile(t, "service.yaml"), "chatbox-websocket")
	if svc.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service type %s, want ClusterIP", svc.Spec.Type)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("Service ports %+v, want 80 -> the container's http port", svc.Spec.Ports)
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP || svc.Spec.SessionAffinityConfig == nil ||
		svc.Spec.SessionAffinityConfig.ClientIP == nil || *svc.Spec.SessionAffinityConfig.ClientIP.TimeoutSeconds != 10800 {
		t.Errorf("Service must use ClientIP session affinity for 10800s")
	}
}

func TestIngressPublishesTheChatOverTLS(t *testing.T) {
	cfg := manifestConfig(t)
	ing := one[networkingv1.Ingress](t, loadFile(t, "service.yaml"), "chatbox-websocket-ingress")
	const host = "chat.yourdomain.com"
	if len(ing.Spec.TLS) != 1 || !slices.Equal(ing.Spec.TLS[0].Hosts, []string{host}) || ing.Spec.TLS[0].SecretName == "" {
		t.Errorf("Ingress TLS %+v, want %s with a certificate Secret", ing.Spec.TLS, host)
	}
	if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != host {
		t.Fatalf("Ingress rules %+v, want one for %s", ing.Spec.Rules, host)
	}
	paths := ing.Spec.Rules[0].HTTP.Paths
	// Every route lives under the prefix; /metrics stays inside the cluster.
	if len(paths) != 1 || paths[0].Path != cfg.Server.PathPrefix || *paths[0].PathType != networkingv1.PathTypePrefix {
		t.Errorf("Ingress paths %+v, want the prefix %s", paths, cfg.Server.PathPrefix)
	}
	// The proxy must not cut idle sockets between the server's pings.
	for _, key := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
		seconds, err := strconv.Atoi(ing.Annotations[key])
		if err != nil || time.Duration(seconds)*time.Second < time.Hour || time.Duration(seconds)*time.Second <= cfg.WebSocket.PingInterval {
			t.Errorf("%s = %q; WebSockets need at least an hour", key, ing.Annotations[key])
		}
	}
}

func TestDisruptionBudgetKeepsMostPods(t *testing.T) {
	pdb := one[policyv1.PodDisruptionBudget](t, loadFile(t, "pdb.yaml"), "chatbox-websocket-pdb")
	if pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != intstr.FromInt32(1) {
		t.Errorf("PDB maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
	}
}

// The network policy admits the ingress controller and Prometheus to the
// server's port, and lets the pods reach DNS, MongoDB, NATS and HTTPS.
func TestNetworkPolicyAllowsWhatTheServerNeeds(t *testing.T) {
	cfg := manifestConfig(t)
	np := one[networkingv1.NetworkPolicy](t, loadFile(t, "networkpolicy.yaml"), "chatbox-netpol")
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("policy types %v, want Ingress and Egress", np.Spec.PolicyTypes)
	}
	admitted := map[string]bool{}
	for _, rule := range np.Spec.Ingress {
		for _, from := range rule.From {
			if from.NamespaceSelector == nil {
				continue
			}
			for _, p := range rule.Ports {
				if p.Port.IntValue() == cfg.Server.Port {
					admitted[from.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]] = true
				}
			}
		}
	}
	for _, ns := range []string{"ingress-nginx", "monitoring"} {
		if !admitted[ns] {
			t.Errorf("namespace %s cannot reach port %d", ns, cfg.Server.Port)
		}
	}
	egress := map[string]bool{}
	for _, rule := range np.Spec.Egress {
		for _, p := range rule.Ports {
			egress[string(*p.Protocol)+"/"+p.Port.String()] = true
		}
	}
	for _, want := range []string{"UDP/53", "TCP/53", "TCP/27017", "TCP/4222", "TCP/443"} {
		if !egress[want] {
			t.Errorf("egress to %s is not allowed", want)
		}
	}
}
