package kubernetes

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	natsserver "github.com/nats-io/nats-server/v2/server"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const natsConfigKey = "nats.conf"

// The NATS cluster of nats.yaml is the bus NATS_URL names: its
// configuration parses with the NATS server's own parser, its client port
// is the Service port NATS_URL uses, and its routes name every StatefulSet
// pod through the headless Service.
func TestNATSClusterServesNATSURL(t *testing.T) {
	objects := loadFile(t, "nats.yaml")
	checkBundle(t, objects)
	sts := all[appsv1.StatefulSet](objects)
	if len(sts) != 1 {
		t.Fatalf("nats.yaml holds %d StatefulSets, want 1", len(sts))
	}
	ss := sts[0]
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas < 3 {
		t.Errorf("NATS runs %v replicas; a cluster that survives one loss needs 3", ss.Spec.Replicas)
	}

	var cm *corev1.ConfigMap
	for _, v := range ss.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			cm = one[corev1.ConfigMap](t, objects, v.ConfigMap.Name)
		}
	}
	if cm == nil {
		t.Fatal("the NATS pods mount no ConfigMap")
	}
	conf := filepath.Join(t.TempDir(), natsConfigKey)
	if err := os.WriteFile(conf, []byte(cm.Data[natsConfigKey]), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := natsserver.ProcessConfigFile(conf)
	if err != nil {
		t.Fatalf("nats.conf: %v", err)
	}
	if opts.JetStream {
		t.Error("nats.conf enables JetStream; Chatbox uses core NATS and keeps no data there")
	}

	// NATS_URL -> client Service -> the server's client port.
	natsURL, err := url.Parse(manifestConfig(t).Bus.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(natsURL.Host)
	if err != nil {
		t.Fatalf("NATS_URL %s: %v", natsURL, err)
	}
	svc := one[corev1.Service](t, objects, host)
	if len(svc.Spec.Ports) != 1 || strconv.Itoa(int(svc.Spec.Ports[0].Port)) != port || opts.Port != int(svc.Spec.Ports[0].Port) {
		t.Errorf("NATS_URL port %s, Service %s ports %+v, nats.conf port %d: they must agree", port, host, svc.Spec.Ports, opts.Port)
	}

	// Routes: one per pod, <statefulset>-<i>.<headless service>.
	var routes []string
	for _, r := range opts.Routes {
		routes = append(routes, r.Host)
	}
	for i := range int(*ss.Spec.Replicas) {
		want := net.JoinHostPort(fmt.Sprintf("%s-%d.%s", ss.Name, i, ss.Spec.ServiceName), strconv.Itoa(opts.Cluster.Port))
		if !slices.Contains(routes, want) {
			t.Errorf("nats.conf has no route to %s (routes %v)", want, routes)
		}
	}
	headless := one[corev1.Service](t, objects, ss.Spec.ServiceName)
	if headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s must be headless and publish pods before they are ready, so the cluster can form", headless.Name)
	}

	// The image runs the NATS minor version the tests run embedded.
	image := ss.Spec.Template.Spec.Containers[0].Image
	want := "nats:" + majorMinor(moduleVersion(t, "github.com/nats-io/nats-server/v2")) + "."
	if !strings.HasPrefix(image, want) {
		t.Errorf("NATS image %s; the tested server is %s (want %s*)", image, moduleVersion(t, "github.com/nats-io/nats-server/v2"), want)
	}
}
