package config

import (
	"path/filepath"
	"testing"
	"time"
)

// uploadSamples are sampleEnv's values for the attachment keys.
func uploadSamples() map[string][2]string {
	return map[string][2]string{
		"UPLOAD_MAX_BYTES":             {"1048576", "1048576"},
		"UPLOAD_RATE_LIMIT_PER_MINUTE": {"60", "60"},
		"UPLOAD_RATE_LIMIT_BURST":      {"20", "20"},
		"UPLOAD_QUOTA_FILES":           {"50", "50"},
		"UPLOAD_QUOTA_BYTES":           {"0", "0"},
		"UPLOAD_UNATTACHED_TTL":        {"2h", "2h0m0s"},
		"UPLOAD_DIR":                   {"/srv/uploads", "/srv/uploads"},
		"S3_BUCKET":                    {"chat-files", "chat-files"},
		"S3_REGION":                    {"eu-central-1", "eu-central-1"},
		"S3_ENDPOINT":                  {"http://minio:9000", "http://minio:9000"},
		"S3_USE_PATH_STYLE":            {"true", "true"},
		"S3_ACCESS_KEY_ID":             {"AKIAEXAMPLE", "set"},
		"S3_SECRET_ACCESS_KEY":         {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "set"},
		"LLM_PROVIDER_<N>_VISION":      {"yes", "vision=true"},
	}
}

func TestUploadDefaults(t *testing.T) {
	c := mustLoad(t, "", prodEnv(t).with("CHATBOX_DATA_DIR", "/var/lib/chatbox"))
	u := c.Uploads
	if u.MaxBytes != 20<<20 || u.PerMinute != 10 || u.Burst != 5 || u.S3Bucket != "" || u.S3Region != "us-east-1" ||
		u.QuotaFiles != 500 || u.QuotaBytes != 1<<30 || u.UnattachedTTL != 24*time.Hour {
		t.Errorf("defaults = %+v", u)
	}
	if want := filepath.Join("/var/lib/chatbox", "uploads"); u.Dir != want {
		t.Errorf("UPLOAD_DIR default = %q, want %q", u.Dir, want)
	}
}

func TestUploadBadValues(t *testing.T) {
	for name, value := range map[string]string{
		"UPLOAD_MAX_BYTES":  "10",
		"S3_ENDPOINT":       "http://s3.example.com",
		"S3_USE_PATH_STYLE": "maybe",
	} {
		_, err := load("", prodEnv(t).with(name, value))
		checkErr(t, err, []string{name})
	}
}
