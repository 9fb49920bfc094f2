package config

import (
	"path/filepath"
	"time"
)

// Uploads holds the settings of file attachments and where their bytes
// are kept: an S3-compatible bucket when S3Bucket is set, else a local
// directory.
type Uploads struct {
	MaxBytes       int64  // UPLOAD_MAX_BYTES, default 20 MiB
	PerMinute      int    // UPLOAD_RATE_LIMIT_PER_MINUTE, default 10
	Burst          int    // UPLOAD_RATE_LIMIT_BURST, default 5
	Dir            string // UPLOAD_DIR, default <DataDir>/uploads (local backend)
	S3Bucket       string // S3_BUCKET; "" keeps files in Dir
	S3Region       string // S3_REGION, default us-east-1
	S3Endpoint     string // S3_ENDPOINT; "" for AWS S3
	S3UsePathStyle bool   // S3_USE_PATH_STYLE (MinIO and most other S3-compatible servers)
	S3AccessKeyID  string // S3_ACCESS_KEY_ID (secret)
	S3SecretKey    string // S3_SECRET_ACCESS_KEY (secret)
	// QuotaFiles and QuotaBytes (UPLOAD_QUOTA_FILES, default 500;
	// UPLOAD_QUOTA_BYTES, default 1 GiB; 0: no limit) bound what one user
	// keeps stored, attached or not.
	QuotaFiles int
	QuotaBytes int64
	// UnattachedTTL (UPLOAD_UNATTACHED_TTL, default 24h; 0: kept until
	// erased) is how long a file may wait to be sent before it is deleted.
	UnattachedTTL time.Duration
}

// uploadSpecs is the table of attachment keys, appended to configSpecs.
func uploadSpecs() []spec[Config] {
	u := func(c *Config) *Uploads { return &c.Uploads }
	return []spec[Config]{
		int64Spec(Key{Env: "UPLOAD_MAX_BYTES", TOMLPath: "uploads.max_bytes", Default: "20971520",
			Doc: "Largest file a user may upload, in bytes (default 20 MiB); a larger upload is cut off while streaming and refused with 413."},
			1<<10, 5<<30, "a size in bytes from 1024 (1 KiB) to 5368709120 (5 GiB)",
			func(c *Config) *int64 { return &u(c).MaxBytes }),
		intSpec(Key{Env: "UPLOAD_QUOTA_FILES", TOMLPath: "uploads.quota_files", Default: "500",
			Doc: "Most files one user may keep stored, sent or not, counted across all instances; a further upload is refused with 403 quota_exceeded. 0: no limit."},
			0, 10000000, "", func(c *Config) *int { return &u(c).QuotaFiles }),
		int64Spec(Key{Env: "UPLOAD_QUOTA_BYTES", TOMLPath: "uploads.quota_bytes", Default: "1073741824",
			Doc: "Most bytes one user's stored files may add up to (default 1 GiB), sent or not, counted across all instances; 0: no limit."},
			0, 1<<50, "a size in bytes from 0 (no limit) to 1125899906842624 (1 PiB)",
			func(c *Config) *int64 { return &u(c).QuotaBytes }),
		durationSpec(Key{Env: "UPLOAD_UNATTACHED_TTL", TOMLPath: "uploads.unattached_ttl", Default: "24h0m0s",
			Doc: "An uploaded file not sent in any message for this long is deleted by the lifecycle sweep (once, whichever instance sweeps). 0s: kept until the user's data is erased."},
			0, 365*24*time.Hour, func(c *Config) *time.Duration { return &u(c).UnattachedTTL }),
		intSpec(Key{Env: "UPLOAD_RATE_LIMIT_PER_MINUTE", TOMLPath: "uploads.rate_limit_per_minute", Default: "10",
			Doc: "Sustained uploads a user may make per minute, per instance."},
			1, 100000, "", func(c *Config) *int { return &u(c).PerMinute }),
		intSpec(Key{Env: "UPLOAD_RATE_LIMIT_BURST", TOMLPath: "uploads.rate_limit_burst", Default: "5",
			Doc: "Uploads a user may make at once above the per-minute rate."},
			1, 100000, "", func(c *Config) *int { return &u(c).Burst }),
		stringSpec(Key{Env: "UPLOAD_DIR", TOMLPath: "uploads.dir",
			Doc: "Directory keeping uploaded files when S3_BUCKET is empty (one instance only); default <CHATBOX_DATA_DIR>/uploads."},
			func(c *Config) *string { return &u(c).Dir }, trimmed),
		stringSpec(Key{Env: "S3_BUCKET", TOMLPath: "uploads.s3_bucket",
			Doc: "S3-compatible bucket (AWS S3, MinIO...) keeping uploaded files, shared by all replicas; empty keeps them in UPLOAD_DIR."},
			func(c *Config) *string { return &u(c).S3Bucket }, trimmed),
		stringSpec(Key{Env: "S3_REGION", TOMLPath: "uploads.s3_region", Default: "us-east-1",
			Doc: "Region of the bucket."},
			func(c *Config) *string { return &u(c).S3Region }, trimmed),
		urlListSpec(Key{Env: "S3_ENDPOINT", TOMLPath: "uploads.s3_endpoint",
			Doc: "Base URL of an S3-compatible server (e.g. http://minio:9000); empty for AWS S3. Plain http only to loopback, private or cluster-local hosts."},
			func(c *Config) *string { return &u(c).S3Endpoint }, checkEndpoint),
		boolSpec(Key{Env: "S3_USE_PATH_STYLE", TOMLPath: "uploads.s3_use_path_style", Default: "false",
			Doc: "Address the bucket in the URL path instead of the host name, as MinIO and most S3-compatible servers need."},
			func(c *Config) *bool { return &u(c).S3UsePathStyle }),
		stringSpec(Key{Env: "S3_ACCESS_KEY_ID", TOMLPath: "uploads.s3_access_key_id", Secret: true,
			Doc: "Access key id for the bucket; set with S3_SECRET_ACCESS_KEY, or leave both empty for a public bucket."},
			func(c *Config) *string { return &u(c).S3AccessKeyID }, trimmed),
		stringSpec(Key{Env: "S3_SECRET_ACCESS_KEY", TOMLPath: "uploads.s3_secret_access_key", Secret: true,
			Doc: "Secret access key for the bucket."},
			func(c *Config) *string { return &u(c).S3SecretKey }, trimmed),
	}
}

// resolveUploads fills the local directory's default.
func resolveUploads(c *Config) {
	if c.Uploads.Dir == "" {
		c.Uploads.Dir = filepath.Join(c.DataDir, "uploads")
	}
}
