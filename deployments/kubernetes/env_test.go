package kubernetes

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/chatboxhq/chatbox/internal/config"
)

// Names of the objects the seed guide promises.
const (
	deploymentName = "chatbox-websocket"
	containerName  = "chatbox"
	configMapName  = "chat-config"
	secretName     = "chat-secrets"
)

// notInConfigMap are non-secret keys the ConfigMap leaves out, with the
// reason; every other non-secret key the server reads must be in it.
var notInConfigMap = map[string]string{
	config.ConfigPathEnv: "the image has no config file; everything comes from the environment",
	"CHATBOX_DATA_DIR":   "set in deployment.yaml next to the emptyDir volume it names",
}

// operatorFills are the ConfigMap keys shipped empty that an operator must
// fill in before the pods work as intended, with the test's stand-in value.
// They ship empty rather than as placeholders: see placeholders_test.go.
var operatorFills = map[string]string{
	"WS_ALLOWED_ORIGINS": "https://chat.chatbox.test",
	"S3_BUCKET":          "chatbox-uploads-test",
	"S3_REGION":          "eu-west-1",
}

// chatbox returns the Deployment and its chatbox container.
func chatbox(t *testing.T) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	d := one[appsv1.Deployment](t, loadFile(t, "deployment.yaml"), deploymentName)
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == containerName {
			return d, c
		}
	}
	t.Fatalf("Deployment %s has no container %q", deploymentName, containerName)
	return nil, corev1.Container{}
}

func configMapData(t *testing.T) map[string]string {
	t.Helper()
	return one[corev1.ConfigMap](t, loadFile(t, "configmap.yaml"), configMapName).Data
}

// secretTemplate returns secret.yaml's keys and placeholder values.
func secretTemplate(t *testing.T) map[string]string {
	t.Helper()
	s := one[corev1.Secret](t, loadFile(t, "secret.yaml"), secretName)
	if len(s.Data) != 0 {
		t.Errorf("secret.yaml uses data:; keep placeholders readable in stringData:")
	}
	return s.StringData
}

// secretRefs returns, by env name, the chat-secrets key each explicit env
// entry of the container reads and whether it is optional.
func secretRefs(t *testing.T, c corev1.Container) map[string]*corev1.SecretKeySelector {
	t.Helper()
	refs := map[string]*corev1.SecretKeySelector{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref == nil || ref.Name != secretName {
			t.Errorf("env %s must come from Secret %s", e.Name, secretName)
			continue
		}
		if ref.Key != e.Name {
			t.Errorf("env %s reads key %s of %s; use the same name", e.Name, ref.Key, secretName)
		}
		refs[e.Name] = ref
	}
	return refs
}

// realisticSecrets returns values for the required secrets as
// create-secrets.sh makes them, freshly random.
func realisticSecrets(t *testing.T) map[string]string {
	t.Helper()
	random := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return map[string]string{
		"JWT_SECRET":             random(),
		"ENCRYPTION_KEY":         random(),
		"MONGO_URI":              "mongodb://chatbox:example-password@mongo:27017/chat",
		"LLM_PROVIDER_1_API_KEY": "sk-test-not-a-real-key",
	}
}

// containerEnv returns the chatbox container's environment as the kubelet
// builds it: the ConfigMap (envFrom) with the operator's values filled in
// (operatorFills), then explicit env entries, which win; secretKeyRef
// values come from secrets (an absent optional key is unset).
func containerEnv(t *testing.T, secrets map[string]string) map[string]string {
	t.Helper()
	env := shippedEnv(t, secrets)
	for k, v := range operatorFills {
		if env[k] == "" {
			env[k] = v
		}
	}
	return env
}

// shippedEnv is containerEnv with the ConfigMap exactly as shipped.
func shippedEnv(t *testing.T, secrets map[string]string) map[string]string {
	t.Helper()
	_, c := chatbox(t)
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil || ef.ConfigMapRef.Name != configMapName || ef.Prefix != "" {
			t.Fatalf("envFrom must import ConfigMap %s without a prefix, got %+v", configMapName, ef)
		}
		maps.Copy(env, configMapData(t))
	}
	refs := secretRefs(t, c)
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
			continue
		}
		ref := refs[e.Name]
		v, ok := secrets[ref.Key]
		switch {
		case ok:
			env[e.Name] = v
		case ref.Optional == nil || !*ref.Optional:
			t.Fatalf("required secret key %s has no test value", ref.Key)
		}
	}
	return env
}

// loadFrom runs the server's configuration loader on env and reports every
// environment variable it looked up.
func loadFrom(env map[string]string) (*config.Config, map[string]bool, error) {
	looked := map[string]bool{}
	lookup := func(k string) (string, bool) {
		looked[k] = true
		v, ok := env[k]
		return v, ok
	}
	path := config.ResolvePath("", lookup)
	cfg, err := config.Load(config.LoadOptions{Path: path, LookupEnv: lookup})
	return cfg, looked, err
}

// manifestConfig is the configuration a chatbox pod starts with, given the
// manifests and real secrets.
func manifestConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, _, err := loadFrom(containerEnv(t, realisticSecrets(t)))
	if err != nil {
		t.Fatalf("the server refuses the manifests' environment: %v", err)
	}
	return cfg
}

// defaultOf returns the default of the configuration key env.
func defaultOf(t *testing.T, env string) string {
	t.Helper()
	k, ok := keyFor(env)
	if !ok {
		t.Fatalf("%s is not a configuration key", env)
	}
	return k.Default
}

// keyFor returns the configuration key of an environment variable,
// resolving provider templates (LLM_PROVIDER_<N>_MODEL).
func keyFor(name string) (config.Key, bool) {
	for _, k := range config.Keys() {
		if k.Env == name {
			return k, true
		}
		before, after, templ := strings.Cut(k.Env, "<N>")
		if !templ || !strings.HasPrefix(name, before) || !strings.HasSuffix(name, after) || len(name) <= len(before)+len(after) {
			continue
		}
		if n, err := strconv.Atoi(name[len(before) : len(name)-len(after)]); err == nil && n > 0 {
			return k, true
		}
	}
	return config.Key{}, false
}

func TestManifestEnvironmentStartsInProduction(t *testing.T) {
	cfg := manifestConfig(t)
	if !cfg.Production() {
		t.Errorf("CHATBOX_ENV = %q, want production", cfg.Env)
	}
	d, _ := chatbox(t)
	if *d.Spec.Replicas > 1 && cfg.Bus.NATSURL == "" {
		t.Errorf("%d replicas with NATS_URL empty: each pod would run a private bus and miss the others' events", *d.Spec.Replicas)
	}
	if cfg.Storage.MongoURI == "" {
		t.Errorf("MONGO_URI is empty: each pod would keep its own SQLite database")
	}
	if len(cfg.LLM.Providers) == 0 {
		t.Errorf("no LLM provider configured")
	}
}

func TestEveryEnvNameIsReadByTheServer(t *testing.T) {
	secrets := realisticSecrets(t)
	env := containerEnv(t, secrets)
	_, looked, err := loadFrom(env)
	if err != nil {
		t.Fatal(err)
	}
	_, c := chatbox(t)
	names := slices.Collect(maps.Keys(env))
	for _, e := range c.Env {
		names = append(names, e.Name) // optional secrets absent from env
	}
	names = append(names, slices.Collect(maps.Keys(secretTemplate(t)))...)
	names = append(names, scriptSecretKeys(t)...)
	for _, name := range names {
		if !looked[name] {
			t.Errorf("the manifests set %s, which the server never reads", name)
		}
		if _, ok := keyFor(name); !ok {
			t.Errorf("%s is not in the configuration key table (config.Keys)", name)
		}
	}
}

func TestConfigMapHoldsEveryNonSecretKey(t *testing.T) {
	data := configMapData(t)
	for name := range data {
		if k, ok := keyFor(name); ok && k.Secret {
			t.Errorf("configmap.yaml holds the secret %s; it belongs in %s", name, secretName)
		}
	}
	providers := providerNumbers(data)
	if len(providers) == 0 {
		t.Fatal("configmap.yaml configures no LLM provider")
	}
	for _, k := range config.Keys() {
		if k.Secret {
			continue
		}
		if _, skip := notInConfigMap[k.Env]; skip {
			continue
		}
		envs := []string{k.Env}
		if strings.Contains(k.Env, "<N>") {
			envs = nil
			for _, n := range providers {
				envs = append(envs, strings.Replace(k.Env, "<N>", strconv.Itoa(n), 1))
			}
		}
		for _, env := range envs {
			if _, ok := data[env]; !ok {
				t.Errorf("configmap.yaml lacks %s (default %q): %s", env, k.Default, k.Doc)
			}
		}
	}
	for name, why := range notInConfigMap {
		if _, ok := data[name]; ok {
			t.Errorf("configmap.yaml sets %s, which it must leave out: %s", name, why)
		}
	}
}

// providerNumbers returns the N of every LLM_PROVIDER_<N>_TYPE in data.
func providerNumbers(data map[string]string) []int {
	var ns []int
	for name := range data {
		var n int
		if _, err := fmt.Sscanf(name, "LLM_PROVIDER_%d_TYPE", &n); err == nil && name == fmt.Sprintf("LLM_PROVIDER_%d_TYPE", n) {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}

// The Secret template, the Deployment's secretKeyRefs and create-secrets.sh
// agree on the keys, and each is a key the server treats as secret.
func TestSecretKeysAgree(t *testing.T) {
	_, c := chatbox(t)
	refs := secretRefs(t, c)
	template := secretTemplate(t)
	script := scriptSecretKeys(t)
	for name, ref := range refs {
		k, ok := keyFor(name)
		if !ok || !k.Secret {
			t.Errorf("deployment.yaml reads %s from %s, but the server does not treat it as a secret", name, secretName)
		}
		if _, ok := template[ref.Key]; !ok {
			t.Errorf("secret.yaml lacks %s, which deployment.yaml reads", ref.Key)
		}
		if !slices.Contains(script, ref.Key) {
			t.Errorf("create-secrets.sh never sets %s, which deployment.yaml reads", ref.Key)
		}
	}
	for key := range template {
		if refs[key] == nil {
			t.Errorf("secret.yaml holds %s, which deployment.yaml never reads", key)
		}
	}
	for _, key := range script {
		if refs[key] == nil {
			t.Errorf("create-secrets.sh sets %s, which deployment.yaml never reads", key)
		}
	}
	for _, k := range config.Keys() {
		if k.Secret && !strings.Contains(k.Env, "<N>") && refs[k.Env] == nil {
			t.Errorf("the server reads the secret %s, which deployment.yaml does not pass from %s", k.Env, secretName)
		}
	}
	for _, n := range providerNumbers(configMapData(t)) {
		key := fmt.Sprintf("LLM_PROVIDER_%d_API_KEY", n)
		if refs[key] == nil {
			t.Errorf("provider %d is configured but deployment.yaml does not pass %s", n, key)
		}
	}
}

// Applying secret.yaml unchanged must not start a production server with
// known keys: each required placeholder is refused, naming the key.
func TestSecretTemplatePlaceholdersAreRefused(t *testing.T) {
	template := secretTemplate(t)
	for _, key := range []string{"JWT_SECRET", "ENCRYPTION_KEY", "MONGO_URI"} {
		secrets := realisticSecrets(t)
		secrets[key] = template[key]
		_, _, err := loadFrom(containerEnv(t, secrets))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("with the placeholder %s=%q the server starts or blames another key: %v", key, template[key], err)
		}
	}
}

// Placeholders only: a required key holds REPLACE_ME, an optional one is
// empty. Nothing that could be a real credential.
func TestSecretTemplateHoldsPlaceholdersOnly(t *testing.T) {
	_, c := chatbox(t)
	refs := secretRefs(t, c)
	for key, value := range secretTemplate(t) {
		want := "REPLACE_ME"
		if ref := refs[key]; ref != nil && ref.Optional != nil && *ref.Optional {
			want = ""
		}
		if value != want {
			t.Errorf("secret.yaml %s = %q; templates hold placeholders only (%q)", key, value, want)
		}
	}
}
