package kubernetes

import (
	"bytes"
	"encoding/base64"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const secretsScript = "create-secrets.sh"

// scriptSecretKeys returns the keys create-secrets.sh stores, from its
// keep_or_generate and ask calls.
func scriptSecretKeys(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(secretsScript)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, m := range regexp.MustCompile(`(?m)^(?:keep_or_generate|keep|ask) ([A-Z0-9_]+)`).FindAllStringSubmatch(string(data), -1) {
		keys = append(keys, m[1])
	}
	if len(keys) == 0 {
		t.Fatalf("%s stores no key", secretsScript)
	}
	return keys
}

func TestScriptsParse(t *testing.T) {
	bash := lookPath(t, "bash")
	for _, script := range scripts(t) {
		if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", script, err, out)
		}
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\nset -euo pipefail\n") {
			t.Errorf("%s does not stop on errors (set -euo pipefail)", script)
		}
		if info, err := os.Stat(script); err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", script)
		}
	}
}

// CI installs Debian's shellcheck (.ci/run); elsewhere the check runs when
// it is installed.
func TestScriptsAreShellcheckClean(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed; CI must check the scripts (apt-get install shellcheck)")
		}
		t.Skip("shellcheck is not installed (apt-get install shellcheck)")
	}
	for _, script := range scripts(t) {
		if out, err := exec.Command(shellcheck, "--shell=bash", "--severity=style", script).CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", script, err, out)
		}
	}
}

func scripts(t *testing.T) []string {
	t.Helper()
	found, err := filepath.Glob("*.sh")
	if err != nil || len(found) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	return found
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed", name)
	}
	return p
}

// fakeKubectl stands in for kubectl: it logs its arguments, serves an
// existing Secret from dir/existing/KEY files (if dir/existing exists) and
// the ConfigMap chat-config from dir/configmap/KEY files (likewise),
// turns `create secret generic --from-file=DIR` into KEY=base64 lines, and
// saves what `apply -f -` receives in dir/applied.
const fakeKubectl = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\n' "$*" >>"$dir/argv"
case "$1" in
get)
	if [ "$2" = configmap ]; then
		[ -d "$dir/configmap" ] || exit 1
		for a in "$@"; do
			case "$a" in
			jsonpath=*) key=${a#jsonpath=\{.data.}; key=${key%\}}
				[ -f "$dir/configmap/$key" ] && cat "$dir/configmap/$key" ;;
			esac
		done
		exit 0
	fi
	[ -d "$dir/existing" ] || exit 1
	for a in "$@"; do
		case "$a" in
		jsonpath=*) key=${a#jsonpath=\{.data.}; key=${key%\}}
			[ -f "$dir/existing/$key" ] && base64 -w0 <"$dir/existing/$key" ;;
		esac
	done
	exit 0 ;;
create)
	for a in "$@"; do
		case "$a" in --from-file=*) from=${a#--from-file=} ;; esac
	done
	for f in "$from"/*; do
		printf '%s=%s\n' "$(basename "$f")" "$(base64 -w0 <"$f")"
	done ;;
apply)
	cat >"$dir/applied" ;;
*)
	exit 2 ;;
esac
`

// runScript runs create-secrets.sh with the fake kubectl first on PATH,
// answering its prompts with input, and returns the applied Secret (key to
// value), its combined output and the kubectl command lines.
func runScript(t *testing.T, existing map[string]string, input string, args ...string) (applied map[string]string, output, argv string) {
	t.Helper()
	return runScriptWithConfigMap(t, existing, nil, input, args...)
}

// runScriptWithConfigMap is runScript with the ConfigMap chat-config in
// the cluster holding configMap (nil: no ConfigMap yet).
func runScriptWithConfigMap(t *testing.T, existing, configMap map[string]string, input string, args ...string) (applied map[string]string, output, argv string) {
	t.Helper()
	bash := lookPath(t, "bash")
	lookPath(t, "openssl")
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	if existing != nil {
		if err := os.Mkdir(filepath.Join(bin, "existing"), 0o700); err != nil {
			t.Fatal(err)
		}
		for k, v := range existing {
			if err := os.WriteFile(filepath.Join(bin, "existing", k), []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if configMap != nil {
		if err := os.Mkdir(filepath.Join(bin, "configmap"), 0o700); err != nil {
			t.Fatal(err)
		}
		for k, v := range configMap {
			if err := os.WriteFile(filepath.Join(bin, "configmap", k), []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(bash, append([]string{secretsScript}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdin = strings.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", secretsScript, err, out.String())
	}
	raw, err := os.ReadFile(filepath.Join(bin, "applied"))
	if err != nil {
		t.Fatalf("nothing was applied: %v\n%s", err, out.String())
	}
	applied = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		decoded, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("applied %s: %v", k, err)
		}
		applied[k] = string(decoded)
	}
	argvData, err := os.ReadFile(filepath.Join(bin, "argv"))
	if err != nil {
		t.Fatal(err)
	}
	return applied, out.String(), string(argvData)
}

func TestCreateSecretsNewSecret(t *testing.T) {
	const (
		mongo  = "mongodb://chatbox:s3cret-pass@mongo:27017/chat"
		apiKey = "sk-typed-by-the-operator"
		sid    = "AC0123456789abcdef0123456789abcdef"
	)
	// An invalid MONGO_URI is asked again; optional provider, SMTP and S3
	// keys are skipped.
	input := strings.Join([]string{"not-a-uri", mongo, apiKey, "", "", "", "", sid, "twilio-token", "", ""}, "\n") + "\n"
	applied, output, argv := runScript(t, nil, input, "chatbox")

	wantKeys := []string{"ENCRYPTION_KEY", "JWT_SECRET", "LLM_PROVIDER_1_API_KEY", "MONGO_URI", "SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN"}
	if got := slices.Sorted(maps.Keys(applied)); !slices.Equal(got, wantKeys) {
		t.Fatalf("applied keys %v, want %v", got, wantKeys)
	}
	for _, key := range []string{"JWT_SECRET", "ENCRYPTION_KEY"} {
		if raw, err := base64.StdEncoding.DecodeString(applied[key]); err != nil || len(raw) != 32 {
			t.Errorf("%s is not base64 of 32 random bytes (openssl rand -base64 32): %q", key, applied[key])
		}
	}
	if applied["JWT_SECRET"] == applied["ENCRYPTION_KEY"] {
		t.Error("JWT_SECRET and ENCRYPTION_KEY are the same value")
	}
	if applied["MONGO_URI"] != mongo || applied["LLM_PROVIDER_1_API_KEY"] != apiKey || applied["SMS_ACCOUNT_SID"] != sid {
		t.Errorf("typed values were not stored as typed: %v", applied)
	}
	if !strings.Contains(argv, "create secret generic chat-secrets --namespace chatbox") ||
		!strings.Contains(argv, "--dry-run=client -o yaml") || !strings.Contains(argv, "apply -f -") {
		t.Errorf("kubectl was not run as create --dry-run=client | apply in namespace chatbox:\n%s", argv)
	}
	for key, value := range applied {
		if strings.Contains(output, value) {
			t.Errorf("the script printed the value of %s", key)
		}
		if strings.Contains(argv, value) {
			t.Errorf("the value of %s was on a kubectl command line (visible to other users in ps)", key)
		}
	}

	// The generated Secret starts the server with the manifests.
	if _, _, err := loadFrom(containerEnv(t, applied)); err == nil {
		t.Error("a Secret with SMS credentials but no SMS_FROM_NUMBER was accepted; the server should refuse half an SMS setup")
	}
	delete(applied, "SMS_ACCOUNT_SID")
	delete(applied, "SMS_AUTH_TOKEN")
	if _, _, err := loadFrom(containerEnv(t, applied)); err != nil {
		t.Errorf("the server refuses the Secret create-secrets.sh made: %v", err)
	}
}

// Re-running the script keeps the keys that protect existing data, and
// Enter keeps the other values.
func TestCreateSecretsKeepsExistingKeys(t *testing.T) {
	existing := map[string]string{
		"JWT_SECRET":             "existing-jwt-secret-existing-jwt-secret",
		"ENCRYPTION_KEY":         base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"ENCRYPTION_KEYS_OLD":    base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32)),
		"MONGO_URI":              "mongodb://old@mongo:27017/chat",
		"LLM_PROVIDER_1_API_KEY": "sk-old",
		"SMTP_USER":              "mailer",
		"SMTP_PASS":              "mail password with spaces",
	}
	applied, output, _ := runScript(t, existing, strings.Repeat("\n", 10))
	if !maps.Equal(applied, existing) {
		t.Errorf("re-run changed the Secret:\n got %v\nwant %v", applied, existing)
	}
	if !strings.Contains(output, "namespace default") {
		t.Errorf("the namespace does not default to default:\n%s", output)
	}
}

// Item 10 of issue 17: SMS credentials without SMS_FROM_NUMBER stop the
// pods. The script names the missing ConfigMap key when it stores SMS
// credentials, and confirms the number when the ConfigMap has one; the
// server's refusal names it too; configmap.yaml and the guide list it.
func TestSMSFromNumberIsNamedWhereverSMSIsSetUp(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	input := strings.Join([]string{"mongodb://m:p@mongo:27017/chat", "sk-k", "", "", "", "", sid, "twilio-token", "", ""}, "\n") + "\n"

	applied, output, argv := runScriptWithConfigMap(t, nil, map[string]string{"SMS_FROM_NUMBER": ""}, input)
	if !strings.Contains(output, "SMS_FROM_NUMBER: not set in ConfigMap chat-config") {
		t.Errorf("SMS credentials stored without a word about SMS_FROM_NUMBER:\n%s", output)
	}
	if !strings.Contains(argv, "get configmap chat-config --namespace default") {
		t.Errorf("the script did not read the ConfigMap:\n%s", argv)
	}
	if strings.Contains(argv, "configmap chat-config") && (strings.Contains(argv, "apply -f configmap") || strings.Contains(argv, "patch")) {
		t.Errorf("the script changed the ConfigMap:\n%s", argv)
	}
	_, output, _ = runScriptWithConfigMap(t, nil, map[string]string{"SMS_FROM_NUMBER": "+14155550199"}, input)
	if !strings.Contains(output, "SMS_FROM_NUMBER: +14155550199 (ConfigMap chat-config)") {
		t.Errorf("the script did not confirm the ConfigMap's sender number:\n%s", output)
	}
	_, output, _ = runScript(t, nil, strings.Join([]string{"mongodb://m:p@mongo:27017/chat", "sk-k", "", "", "", "", "", "", "", ""}, "\n")+"\n")
	if strings.Contains(output, "SMS_FROM_NUMBER") {
		t.Errorf("the script talks about SMS without SMS credentials:\n%s", output)
	}

	_, _, err := loadFrom(containerEnv(t, applied))
	if err == nil || !strings.Contains(err.Error(), "SMS_FROM_NUMBER") {
		t.Errorf("SMS credentials without a sender number: %v, want a refusal naming SMS_FROM_NUMBER", err)
	}
	env := containerEnv(t, applied)
	env["SMS_FROM_NUMBER"] = "+14155550199"
	if _, _, err := loadFrom(env); err != nil {
		t.Errorf("SMS credentials with SMS_FROM_NUMBER in the ConfigMap: %v", err)
	}
	if _, ok := configMapData(t)["SMS_FROM_NUMBER"]; !ok {
		t.Error("configmap.yaml lacks SMS_FROM_NUMBER")
	}
	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`SMS_FROM_NUMBER: "\+[0-9]+"`).Match(guide) {
		t.Error("the guide's configmap.yaml edits do not show SMS_FROM_NUMBER")
	}
}
