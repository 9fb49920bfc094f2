package kubernetes

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// podTemplate is one workload's pods, for checks across objects.
type podTemplate struct {
	owner string
	meta  metav1.ObjectMeta
	spec  corev1.PodSpec
}

func workloads(objects []object) []podTemplate {
	var pods []podTemplate
	for _, d := range all[appsv1.Deployment](objects) {
		pods = append(pods, podTemplate{"Deployment " + d.Name, d.Spec.Template.ObjectMeta, d.Spec.Template.Spec})
	}
	for _, s := range all[appsv1.StatefulSet](objects) {
		pods = append(pods, podTemplate{"StatefulSet " + s.Name, s.Spec.Template.ObjectMeta, s.Spec.Template.Spec})
	}
	return pods
}

// selected returns the workloads whose pods sel matches.
func selected(t *testing.T, objects []object, sel labels.Selector) []podTemplate {
	t.Helper()
	var out []podTemplate
	for _, p := range workloads(objects) {
		if sel.Matches(labels.Set(p.meta.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func selector(t *testing.T, what string, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	if ls == nil {
		t.Fatalf("%s has no selector", what)
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return sel
}

// hasPort reports whether a container of pods declares port (by name or
// number).
func hasPort(pods []podTemplate, port intstr.IntOrString) bool {
	for _, p := range pods {
		for _, c := range p.spec.Containers {
			for _, cp := range c.Ports {
				if (port.Type == intstr.String && cp.Name == port.StrVal) ||
					(port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
					return true
				}
			}
		}
	}
	return false
}

// checkBundle checks what the API server and controllers would only reveal
// at run time: names and labels are valid, every selector selects pods,
// every reference (Service, port, ConfigMap, scale target) resolves within
// the bundle, and every object carries an app label for kubectl -l.
func checkBundle(t *testing.T, objects []object) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range objects {
		key := o.kind + "/" + o.name
		if seen[key] {
			t.Errorf("%v is defined twice", o)
		}
		seen[key] = true
		meta := o.value.(metav1.Object)
		for _, msg := range validation.IsDNS1123Subdomain(o.name) {
			t.Errorf("%v: name: %s", o, msg)
		}
		if meta.GetLabels()["app"] == "" {
			t.Errorf("%v has no app label", o)
		}
		for k, v := range meta.GetLabels() {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("%v: label %s=%s: %s", o, k, v, msg)
			}
		}
	}

	for _, p := range workloads(objects) {
		checkPodSpec(t, objects, p)
	}
	for _, d := range all[appsv1.Deployment](objects) {
		checkSelectorMatchesTemplate(t, "Deployment "+d.Name, d.Spec.Selector, d.Spec.Template.Labels)
	}
	for _, s := range all[appsv1.StatefulSet](objects) {
		checkSelectorMatchesTemplate(t, "StatefulSet "+s.Name, s.Spec.Selector, s.Spec.Template.Labels)
		if find(objects, "Service", s.Spec.ServiceName) == nil {
			t.Errorf("StatefulSet %s: serviceName %q is not a Service here", s.Name, s.Spec.ServiceName)
		}
	}
	for _, s := range all[corev1.Service](objects) {
		what := "Service " + s.Name
		pods := selected(t, objects, labels.SelectorFromSet(s.Spec.Selector))
		if len(s.Spec.Selector) == 0 || len(pods) == 0 {
			t.Errorf("%s selects no pods", what)
		}
		for _, port := range s.Spec.Ports {
			if !hasPort(pods, port.TargetPort) {
				t.Errorf("%s: targetPort %s is no container port of its pods", what, port.TargetPort.String())
			}
		}
	}
	for _, ing := range all[networkingv1.Ingress](objects) {
		for _, rule := range ing.Spec.Rules {
			for _, path := range rule.HTTP.Paths {
				checkBackend(t, objects, "Ingress "+ing.Name, path.Backend.Service)
			}
		}
	}
	for _, hpa := range all[autoscalingv2.HorizontalPodAutoscaler](objects) {
		ref := hpa.Spec.ScaleTargetRef
		if ref.APIVersion != "apps/v1" || find(objects, ref.Kind, ref.Name) == nil {
			t.Errorf("HPA %s scales %s %s, which is not here", hpa.Name, ref.Kind, ref.Name)
		}
	}
	for _, pdb := range all[policyv1.PodDisruptionBudget](objects) {
		if len(selected(t, objects, selector(t, "PDB "+pdb.Name, pdb.Spec.Selector))) == 0 {
			t.Errorf("PDB %s selects no pods", pdb.Name)
		}
	}
	for _, np := range all[networkingv1.NetworkPolicy](objects) {
		pods := selected(t, objects, selector(t, "NetworkPolicy "+np.Name, &np.Spec.PodSelector))
		if len(pods) == 0 {
			t.Errorf("NetworkPolicy %s selects no pods", np.Name)
		}
		for _, rule := range np.Spec.Ingress {
			for _, port := range rule.Ports {
				if port.Port == nil || !hasPort(pods, *port.Port) {
					t.Errorf("NetworkPolicy %s admits port %v, which its pods do not serve", np.Name, port.Port)
				}
			}
		}
	}
}

func checkSelectorMatchesTemplate(t *testing.T, what string, ls *metav1.LabelSelector, template map[string]string) {
	t.Helper()
	if !selector(t, what, ls).Matches(labels.Set(template)) {
		t.Errorf("%s: selector does not match its pod template labels %v", what, template)
	}
}

func checkBackend(t *testing.T, objects []object, what string, b *networkingv1.IngressServiceBackend) {
	t.Helper()
	if b == nil {
		t.Errorf("%s: a path has no service backend", what)
		return
	}
	o := find(objects, "Service", b.Name)
	if o == nil {
		t.Errorf("%s: backend Service %q is not here", what, b.Name)
		return
	}
	for _, p := range o.value.(*corev1.Service).Spec.Ports {
		if (b.Port.Name != "" && p.Name == b.Port.Name) || (b.Port.Number != 0 && p.Port == b.Port.Number) {
			return
		}
	}
	t.Errorf("%s: Service %s has no port %+v", what, b.Name, b.Port)
}

// checkPodSpec checks that probes use declared ports and that ConfigMaps
// mounted or imported are part of the bundle.
func checkPodSpec(t *testing.T, objects []object, p podTemplate) {
	t.Helper()
	pods := []podTemplate{p}
	for _, c := range p.spec.Containers {
		what := fmt.Sprintf("%s container %s", p.owner, c.Name)
		for name, probe := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if probe == nil || probe.HTTPGet == nil {
				t.Errorf("%s: no HTTP %s probe", what, name)
				continue
			}
			if !hasPort(pods, probe.HTTPGet.Port) {
				t.Errorf("%s: %s probe port %s is not declared", what, name, probe.HTTPGet.Port.String())
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil && find(objects, "ConfigMap", ef.ConfigMapRef.Name) == nil {
				t.Errorf("%s: envFrom ConfigMap %q is not here", what, ef.ConfigMapRef.Name)
			}
		}
	}
	for _, v := range p.spec.Volumes {
		if v.ConfigMap != nil && find(objects, "ConfigMap", v.ConfigMap.Name) == nil {
			t.Errorf("%s: volume ConfigMap %q is not here", p.owner, v.ConfigMap.Name)
		}
	}
}
