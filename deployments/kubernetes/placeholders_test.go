package kubernetes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// placeholderPattern matches values that stand for something the operator
// must fill in: they must never ship as values, where they look configured
// and fail later (an upload to "your-actual-s3-bucket-name").
var placeholderPattern = regexp.MustCompile(`(?i)example\.(com|org|net)|yourdomain|your[-_ ]|change[-_ ]?me|replace[-_ ]?me|placeholder|xxxx|<[a-z_ -]+>|\btodo\b`)

// placeholderAllowed are the only places a placeholder may ship, with the
// reason: a wrong value there fails loudly at once.
var placeholderAllowed = map[string]string{
	"service.yaml Ingress chatbox-websocket-ingress .spec.tls[0].hosts[0]": "the guide's host to change; a wrong host gets no traffic and no certificate",
	"service.yaml Ingress chatbox-websocket-ingress .spec.rules[0].host":   "the guide's host to change; a wrong host gets no traffic and no certificate",
}

// shippedManifests are the files kubectl apply -k applies (the base and the
// K3s overlay's patches) plus the monitoring manifests; secret.yaml is a
// template that is never applied and whose placeholders the server refuses
// (TestSecretTemplatePlaceholdersAreRefused).
func shippedManifests(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yaml", "../k3s/*.yaml", "../monitoring/*.yaml", "../monitoring/*.json"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			if filepath.Base(f) != "secret.yaml" {
				files = append(files, f)
			}
		}
	}
	return files
}

// stringValues calls fn with the path and value of every string in v.
func stringValues(path string, v any, fn func(path, value string)) {
	switch v := v.(type) {
	case string:
		fn(path, v)
	case map[string]any:
		for k, child := range v {
			stringValues(path+"."+k, child, fn)
		}
	case []any:
		for i, child := range v {
			stringValues(fmt.Sprintf("%s[%d]", path, i), child, fn)
		}
	}
}

// Item 12 of issue 17: no manifest ships a placeholder as a value
// (comments may show examples).
func TestManifestsShipNoPlaceholderValues(t *testing.T) {
	for _, file := range shippedManifests(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var v any
			if err := sigsyaml.Unmarshal(doc, &v); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			m, _ := v.(map[string]any)
			meta, _ := m["metadata"].(map[string]any)
			where := fmt.Sprintf("%s %v %v", filepath.Base(file), m["kind"], meta["name"])
			stringValues("", v, func(path, value string) {
				if !placeholderPattern.MatchString(value) {
					return
				}
				if _, ok := placeholderAllowed[where+" "+path]; ok {
					return
				}
				t.Errorf("%s%s = %q is a placeholder; ship it empty (with an example in a comment) so a missing value is refused or reported, not used", where, path, value)
			})
		}
	}
	for _, bad := range []string{"your-actual-s3-bucket-name", "your-aws-region", "https://chat.yourdomain.com", "CHANGE_ME", "api.example.com"} {
		if !placeholderPattern.MatchString(bad) {
			t.Errorf("the scan does not recognise %q", bad)
		}
	}
}

// The ConfigMap as shipped, without the operator's values, does not start
// a production pod: the refusal names the first key to fill in.
func TestShippedConfigMapNamesWhatToFillIn(t *testing.T) {
	_, _, err := loadFrom(shippedEnv(t, realisticSecrets(t)))
	if err == nil || !strings.Contains(err.Error(), "WS_ALLOWED_ORIGINS") {
		t.Errorf("the ConfigMap as shipped: %v, want a refusal naming WS_ALLOWED_ORIGINS", err)
	}
	data := configMapData(t)
	for key := range operatorFills {
		if v, ok := data[key]; !ok || v != "" {
			t.Errorf("configmap.yaml %s = %q (present %v); it ships empty for the operator to fill in", key, v, ok)
		}
	}
}

// Item 12 of issue 17: a pod whose bucket cannot keep files says so in
// one start-up line and fails readiness (check "blob"), instead of
// failing each upload with a warning; with a usable bucket it is ready.
func TestUnusableBucketIsReportedAtStartAndByReadiness(t *testing.T) {
	mem := s3mem.New()
	if err := mem.CreateBucket("chatbox-uploads"); err != nil {
		t.Fatal(err)
	}
	bucket := httptest.NewServer(gofakes3.New(mem, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(bucket.Close)
	_, c := chatbox(t)
	readyPath := c.ReadinessProbe.HTTPGet.Path

	for _, tt := range []struct {
		bucket string
		ready  bool
	}{
		{"chatbox-uploads", true},
		{"chatbox-uploads-typo", false},
	} {
		t.Run(tt.bucket, func(t *testing.T) {
			cfg := manifestConfig(t)
			cfg.Uploads.S3Bucket, cfg.Uploads.S3Endpoint, cfg.Uploads.S3UsePathStyle = tt.bucket, bucket.URL, true
			cfg.Uploads.S3AccessKeyID, cfg.Uploads.S3SecretKey = "test-access-key", "test-secret-key"
			var logs bytes.Buffer
			_, base := startConfigured(t, cfg, slog.New(slog.NewJSONHandler(&logs, nil)))

			status, body := get(t, base+readyPath)
			var answer struct {
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal([]byte(body), &answer); err != nil {
				t.Fatalf("GET %s: %v: %s", readyPath, err, body)
			}
			unusable := strings.Contains(logs.String(), `"msg":"upload storage UNUSABLE`)
			if tt.ready {
				if status != http.StatusOK || answer.Checks["blob"] != "ok" || unusable {
					t.Errorf("usable bucket: readiness %d %s; UNUSABLE logged: %v", status, body, unusable)
				}
				return
			}
			if status != http.StatusServiceUnavailable || answer.Checks["blob"] == "ok" || answer.Checks["blob"] == "" {
				t.Errorf("missing bucket: readiness %d %s, want 503 with check blob failing", status, body)
			}
			if !unusable || !strings.Contains(logs.String(), tt.bucket) {
				t.Errorf("no start-up line names the unusable bucket:\n%s", logs.String())
			}
			if strings.Contains(answer.Checks["blob"], "test-secret-key") || strings.Contains(logs.String(), "test-secret-key") {
				t.Error("the bucket's secret key was shown")
			}
		})
	}
}
