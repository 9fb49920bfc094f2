// Package s3 is a chat.BlobStore in an S3-compatible bucket (AWS S3,
// MinIO...), through the official SDK. Downloads are served by the bucket
// itself through short-lived presigned URLs.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/chatboxhq/chatbox/internal/chat"
)

// PartSize is the size of each part of a multipart upload, S3's minimum
// (except for the last part). Put holds one part in memory at a time, so
// this bounds an upload's memory whatever the file's size; files no
// larger go up in one request.
const PartSize = 5 << 20

// Config selects the bucket.
type Config struct {
	Bucket          string // required
	Region          string // default "us-east-1"
	Endpoint        string // "" for AWS; e.g. http://minio:9000 otherwise
	UsePathStyle    bool   // bucket in the path, not the host name (MinIO)
	AccessKeyID     string
	SecretAccessKey string
	HTTPClient      *http.Client // nil: the SDK's default
}

// Store is a chat.BlobStore in one bucket. It is safe for concurrent use.
type Store struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
}

var _ chat.BlobStore = (*Store)(nil)

// New returns a Store for cfg. It does not contact the bucket.
func New(cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("blob/s3: a bucket is required")
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return nil, errors.New("blob/s3: set both the access key id and the secret access key, or neither")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	opts := s3.Options{
		Region:       region,
		UsePathStyle: cfg.UsePathStyle,
		// Checksums only where the API requires them: S3-compatible
		// servers do not all understand the SDK's default trailing
		// checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	if cfg.AccessKeyID != "" {
		opts.Credentials = credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")
	} else {
		opts.Credentials = aws.AnonymousCredentials{}
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	client := s3.New(opts)
	return &Store{client: client, presign: s3.NewPresignClient(client), bucket: cfg.Bucket}, nil
}

// Ping checks that the bucket is reachable with the configured credentials.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("blob/s3: bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Put uploads r in parts of PartSize, each sent from a reusable in-memory
// buffer (a seekable body, so the request can be signed and retried). A
// file of at most one part is one PutObject.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, limit int64, contentType string) (int64, error) {
	buf := make([]byte, PartSize)
	first, err := readPart(r, buf, 0, limit)
	if err != nil {
		return 0, fmt.Errorf("blob/s3: put %s: %w", key, err)
	}
	if first < PartSize {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &key, Body: bytes.NewReader(buf[:first]),
			ContentLength: aws.Int64(int64(first)), ContentType: optional(contentType),
		})
		if err != nil {
			return 0, fmt.Errorf("blob/s3: put %s: %w", key, err)
		}
		return int64(first), nil
	}
	n, err := s.putMultipart(ctx, key, r, buf, limit, contentType)
	if err != nil {
		return 0, fmt.Errorf("blob/s3: put %s: %w", key, err)
	}
	return n, nil
}

func (s *Store) putMultipart(ctx context.Context, key string, r io.Reader, buf []byte, limit int64, contentType string) (int64, error) {
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, ContentType: optional(contentType),
	})
	if err != nil {
		return 0, fmt.Errorf("start multipart upload: %w", err)
	}
	var parts []types.CompletedPart
	n, err := func() (int64, error) {
		size := len(buf) // the first part was read by Put
		var n int64
		for number := int32(1); ; number++ {
			out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: &s.bucket, Key: &key, UploadId: created.UploadId, PartNumber: aws.Int32(number),
				Body: bytes.NewReader(buf[:size]), ContentLength: aws.Int64(int64(size)),
			})
			if err != nil {
				return 0, fmt.Errorf("upload part %d: %w", number, err)
			}
			parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(number)})
			n += int64(size)
			if size < len(buf) {
				return n, nil
			}
			if size, err = readPart(r, buf, n, limit); err != nil {
				return 0, err
			}
			if size == 0 {
				return n, nil
			}
		}
	}()
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: created.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		// The parts uploaded so far are discarded, on a context of its own:
		// the request's may be what failed.
		abortCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = s.client.AbortMultipartUpload(abortCtx, &s3.AbortMultipartUploadInput{
			Bucket: &s.bucket, Key: &key, UploadId: created.UploadId,
		})
		return 0, err
	}
	return n, nil
}

// readPart fills buf from r and returns how many bytes it read (less than
// len(buf) only at the end of r). done is the count read before; reading
// beyond limit in total fails with chat.ErrTooLarge.
func readPart(r io.Reader, buf []byte, done, limit int64) (int, error) {
	k, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	if err != nil {
		return 0, err
	}
	if done+int64(k) > limit {
		return 0, fmt.Errorf("more than %d bytes: %w", limit, chat.ErrTooLarge)
	}
	if k == len(buf) && done+int64(k) == limit {
		// Exactly at the limit: one more byte would be too many.
		var probe [1]byte
		if m, _ := io.ReadFull(r, probe[:]); m > 0 {
			return 0, fmt.Errorf("more than %d bytes: %w", limit, chat.ErrTooLarge)
		}
	}
	return k, nil
}

// Open streams the object.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("blob/s3: open %s: %w", key, chat.ErrNotFound)
		}
		return nil, fmt.Errorf("blob/s3: open %s: %w", key, err)
	}
	return out.Body, nil
}

// URL presigns a GET of the object valid for ttl, asking the bucket to
// answer with the given Content-Type and Content-Disposition.
func (s *Store) URL(ctx context.Context, key string, h chat.DownloadHeaders, ttl time.Duration) (string, bool, error) {
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &s.bucket, Key: &key,
		ResponseContentType:        optional(h.ContentType),
		ResponseContentDisposition: optional(h.ContentDisposition),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", false, fmt.Errorf("blob/s3: presign %s: %w", key, err)
	}
	return req.URL, true, nil
}

// Delete removes objects, one request each (DeleteObjects needs a content
// checksum some S3-compatible servers reject); S3 answers a missing key
// with success.
func (s *Store) Delete(ctx context.Context, keys ...string) error {
	var errs []error
	for _, key := range keys {
		if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil && !notFound(err) {
			errs = append(errs, fmt.Errorf("blob/s3: delete %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound")
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
