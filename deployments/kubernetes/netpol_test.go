package kubernetes

import (
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/chatboxhq/chatbox/internal/config"
)

// egressAnywhere reports whether np lets its pods open TCP connections to
// port on any address: a rule with that port (or no ports) and no
// destination, or the destination 0.0.0.0/0 without exceptions.
func egressAnywhere(np *networkingv1.NetworkPolicy, port int) bool {
	for _, rule := range np.Spec.Egress {
		if !anyDestination(rule.To) || !hasTCPPort(rule.Ports, port) {
			continue
		}
		return true
	}
	return false
}

func anyDestination(to []networkingv1.NetworkPolicyPeer) bool {
	if len(to) == 0 {
		return true
	}
	for _, peer := range to {
		if peer.IPBlock != nil && peer.IPBlock.CIDR == "0.0.0.0/0" && len(peer.IPBlock.Except) == 0 {
			return true
		}
	}
	return false
}

func hasTCPPort(ports []networkingv1.NetworkPolicyPort, port int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		tcp := p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP
		if !tcp || p.Port == nil {
			continue
		}
		if p.Port.IntValue() == port || (p.EndPort != nil && p.Port.IntValue() <= port && port <= int(*p.EndPort)) {
			return true
		}
	}
	return false
}

// urlPort is the TCP port a URL connects to.
func urlPort(t *testing.T, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return n
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// Item 11 of issue 17: with the network policy applied, every outside
// service the configured pods talk to is reachable: the SMTP relay on the
// port its SMTP_TLS mode uses, each model API, the S3 bucket, Twilio and
// webhook receivers over HTTPS. The file says how to narrow the rules.
func TestNetworkPolicyLetsAlertsModelsFilesAndWebhooksOut(t *testing.T) {
	np := one[networkingv1.NetworkPolicy](t, loadFile(t, "networkpolicy.yaml"), "chatbox-netpol")
	secrets := realisticSecrets(t)
	secrets["LLM_PROVIDER_2_API_KEY"] = "sk-ant-test-not-a-real-key"
	secrets["LLM_PROVIDER_3_API_KEY"] = "app-test-not-a-real-key"

	for _, mode := range []string{config.SMTPStartTLS, config.SMTPImplicitTLS} {
		env := containerEnv(t, secrets)
		env["SMTP_HOST"], env["EMAIL_FROM"], env["ADMIN_EMAILS"], env["SMTP_TLS"] = "smtp.mail.test", "chatbox@mail.test", "ops@mail.test", mode
		cfg, _, err := loadFrom(env)
		if err != nil {
			t.Fatalf("SMTP_TLS=%s: %v", mode, err)
		}
		if !egressAnywhere(np, cfg.Notify.SMTP.Port) {
			t.Errorf("SMTP_TLS=%s connects to port %d, which the network policy blocks: email alerts would fail silently", mode, cfg.Notify.SMTP.Port)
		}
	}

	cfg, _, err := loadFrom(containerEnv(t, secrets))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.LLM.Providers) != 3 {
		t.Fatalf("providers %+v, want the ConfigMap's three", cfg.LLM.Providers)
	}
	for _, p := range cfg.LLM.Providers {
		if port := urlPort(t, p.Endpoint); !egressAnywhere(np, port) {
			t.Errorf("provider %s (%s) is on port %d, which the network policy blocks", p.ID, p.Endpoint, port)
		}
	}
	s3 := "https://s3.amazonaws.com" // the AWS bucket host with S3_ENDPOINT empty
	if cfg.Uploads.S3Endpoint != "" {
		s3 = cfg.Uploads.S3Endpoint
	}
	for name, endpoint := range map[string]string{
		"the S3 bucket":         s3,
		"Twilio (SMS)":          "https://api.twilio.com",
		"a webhook receiver":    "https://hooks.receiver.test/chatbox",
		"the OpenAI API (1)":    config.DefaultOpenAIEndpoint,
		"the Anthropic API (2)": config.DefaultAnthropicEndpoint,
	} {
		if port := urlPort(t, endpoint); !egressAnywhere(np, port) {
			t.Errorf("%s (%s) is on port %d, which the network policy blocks", name, endpoint, port)
		}
	}

	raw, err := os.ReadFile("networkpolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"How to narrow", "ipBlock", "587", "465"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("networkpolicy.yaml does not explain %q", want)
		}
	}
}
