package kubernetes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// object is one decoded manifest document.
type object struct {
	source string // file#document, for messages
	kind   string
	name   string
	value  any // a pointer to the typed API object, e.g. *appsv1.Deployment
}

func (o object) String() string { return fmt.Sprintf("%s %s (%s)", o.kind, o.name, o.source) }

// newTyped returns an empty API object for apiVersion and kind, or false for
// a kind these manifests are not expected to contain.
func newTyped(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	case "apps/v1 StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1 Secret":
		return &corev1.Secret{}, true
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}, true
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	}
	return nil, false
}

// decodeManifests decodes every YAML document of data strictly: an unknown
// or duplicate field, a value of the wrong type or an unexpected kind is an
// error, as it would be for the API server.
func decodeManifests(source string, data []byte) ([]object, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objects []object
	for i := 0; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		where := fmt.Sprintf("%s#%d", source, i)
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		value, ok := newTyped(tm.APIVersion, tm.Kind)
		if !ok {
			return nil, fmt.Errorf("%s: unexpected apiVersion %q kind %q", where, tm.APIVersion, tm.Kind)
		}
		if err := decodeStrict(doc, value); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", where, tm.Kind, err)
		}
		meta, ok := value.(metav1.Object)
		if !ok {
			return nil, fmt.Errorf("%s: %s has no object metadata", where, tm.Kind)
		}
		objects = append(objects, object{source: where, kind: tm.Kind, name: meta.GetName(), value: value})
	}
}

// decodeStrict decodes one YAML document into value as kubectl and the API
// server do: YAML becomes JSON without regard to the target type (so 8080
// is a number, not the string a ConfigMap needs), then JSON is decoded with
// case-sensitive field names, refusing unknown and duplicate fields.
func decodeStrict(doc []byte, value any) error {
	j, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(j, value, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// stripComments drops YAML comment lines, so a document of comments only
// counts as empty.
func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			out = append(out, line...)
			out = append(out, '\n')
		}
	}
	return out
}

// loadFile decodes one manifest file of this directory.
func loadFile(t *testing.T, name string) []object {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := decodeManifests(filepath.Base(name), data)
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

// one returns the single object of type T named name, failing the test if
// there is not exactly one.
func one[T any](t *testing.T, objects []object, name string) *T {
	t.Helper()
	var found []*T
	for _, o := range objects {
		if v, ok := o.value.(*T); ok && o.name == name {
			found = append(found, v)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T named %q, found %d", zero, name, len(found))
	}
	return found[0]
}

// all returns every object of type T.
func all[T any](objects []object) []*T {
	var found []*T
	for _, o := range objects {
		if v, ok := o.value.(*T); ok {
			found = append(found, v)
		}
	}
	return found
}
