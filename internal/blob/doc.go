// Package blob holds the chat.BlobStore implementations, one per
// subpackage: local (a directory, the embedded default) and s3 (any
// S3-compatible bucket: AWS S3, MinIO...). Both pass the contract suite in
// blobtest.
package blob
