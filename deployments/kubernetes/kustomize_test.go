package kubernetes

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Paths of the two kustomizations, relative to this directory. The K3s
// overlay cannot live below the base: kustomize refuses a base that
// contains its overlay ("cycle detected").
const (
	baseDir = "."
	k3sDir  = "../k3s"
)

// appliedAlone are manifest files deliberately left out of the base
// kustomization, with the reason.
var appliedAlone = map[string]string{
	"secret.yaml": "a template of placeholders: applying it with the base would replace real secrets",
	"hpa.yaml":    "the advanced HPA, applied once Prometheus Adapter runs; it replaces the basic one",
}

// render builds a kustomization as kubectl apply -k does and decodes the
// result strictly.
func render(t *testing.T, dir string) []object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resources, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objects, err := decodeManifests("kustomize build "+dir, out)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

// manifestFiles lists this directory's files of Kubernetes objects: every
// YAML file except the kustomization and the Helm values.
func manifestFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, n := range names {
		if n != "kustomization.yaml" && n != "prometheus-adapter-values.yaml" {
			files = append(files, n)
		}
	}
	return files
}

// kustomizationResources returns the resources list of dir's kustomization.
func kustomizationResources(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Patches    []struct {
			Path   string         `json:"path"`
			Target map[string]any `json:"target"`
		} `json:"patches"`
	}
	if err := decodeStrict(data, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return k.Resources
}

func TestEveryManifestFileDecodesStrictly(t *testing.T) {
	for _, f := range manifestFiles(t) {
		t.Run(f, func(t *testing.T) {
			if objects := loadFile(t, f); len(objects) == 0 {
				t.Fatalf("%s holds no Kubernetes object", f)
			}
		})
	}
}

// The decoder used everywhere here must really be strict, or every other
// test would pass on a misspelt field the API server rejects.
func TestStrictDecodingRejectsMistakes(t *testing.T) {
	const good = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 3\n"
	if _, err := decodeManifests("good", []byte(good)); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	for name, doc := range map[string]string{
		"unknown field":   strings.Replace(good, "replicas: 3", "replica: 3", 1),
		"wrong type":      strings.Replace(good, "replicas: 3", "replicas: three", 1),
		"duplicate field": good + "  replicas: 4\n",
		"field case":      strings.Replace(good, "replicas: 3", "Replicas: 3", 1),
		"unexpected kind": strings.Replace(good, "kind: Deployment", "kind: DaemonSet", 1),
		"string as int":   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  SERVER_PORT: 8080\n",
	} {
		if _, err := decodeManifests(name, []byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestBaseKustomizationListsEveryManifest(t *testing.T) {
	listed := kustomizationResources(t, baseDir)
	for _, f := range manifestFiles(t) {
		_, alone := appliedAlone[f]
		switch {
		case alone && slices.Contains(listed, f):
			t.Errorf("kustomization.yaml lists %s, which must be applied alone: %s", f, appliedAlone[f])
		case !alone && !slices.Contains(listed, f):
			t.Errorf("kustomization.yaml does not list %s: kubectl apply -k would skip it", f)
		}
	}
}

func TestKustomizeBase(t *testing.T) {
	rendered := render(t, baseDir)
	checkBundle(t, rendered)

	// The base is exactly its files: kustomize adds and changes nothing.
	var fromFiles []object
	for _, f := range kustomizationResources(t, baseDir) {
		fromFiles = append(fromFiles, loadFile(t, f)...)
	}
	if len(rendered) != len(fromFiles) {
		t.Fatalf("kustomize rendered %d objects, the files hold %d", len(rendered), len(fromFiles))
	}
	for _, want := range fromFiles {
		if got := find(rendered, want.kind, want.name); got == nil || !reflect.DeepEqual(got.value, want.value) {
			t.Errorf("%v differs after kustomize build", want)
		}
	}
	if secrets := all[corev1.Secret](rendered); len(secrets) != 0 {
		t.Errorf("the base applies %d Secret(s); it must never overwrite chat-secrets", len(secrets))
	}
}

func TestK3sOverlay(t *testing.T) {
	base := render(t, baseDir)
	k3s := render(t, k3sDir)
	checkBundle(t, k3s)

	ing := one[networkingv1.Ingress](t, k3s, "chatbox-websocket-ingress")
	if c := ing.Spec.IngressClassName; c == nil || *c != "traefik" {
		t.Errorf("K3s Ingress class = %v, want traefik", c)
	}
	for key, want := range map[string]string{
		// The seed's annotations for K3s.
		"traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
		"traefik.ingress.kubernetes.io/router.tls":         "true",
	} {
		if got := ing.Annotations[key]; got != want {
			t.Errorf("K3s Ingress annotation %s = %q, want %q", key, got, want)
		}
	}
	for key := range ing.Annotations {
		if strings.HasPrefix(key, "nginx.ingress.kubernetes.io/") {
			t.Errorf("K3s Ingress keeps the ingress-nginx annotation %s", key)
		}
	}
	np := one[networkingv1.NetworkPolicy](t, k3s, "chatbox-netpol")
	if got := np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]; got != "kube-system" {
		t.Errorf("K3s network policy admits the ingress controller from namespace %q, want kube-system (Traefik)", got)
	}

	// Everything else is the base, unchanged.
	if len(k3s) != len(base) {
		t.Fatalf("K3s overlay renders %d objects, the base %d", len(k3s), len(base))
	}
	for _, b := range base {
		if b.kind == "Ingress" || b.kind == "NetworkPolicy" {
			continue
		}
		if got := find(k3s, b.kind, b.name); got == nil || !reflect.DeepEqual(got.value, b.value) {
			t.Errorf("K3s overlay changes %v", b)
		}
	}
}

// find returns the object of kind and name, or nil.
func find(objects []object, kind, name string) *object {
	for i := range objects {
		if objects[i].kind == kind && objects[i].name == name {
			return &objects[i]
		}
	}
	return nil
}
