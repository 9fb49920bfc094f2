// Package kubernetes holds Chatbox's Kubernetes manifests (the YAML files in
// this directory, the kustomization that applies them, and the K3s overlay
// in ../k3s) and, in its tests, the proof that they match the server: every
// manifest decodes strictly into the Kubernetes API types, probe paths and
// ports are routes the server serves, every environment variable is a key
// the configuration loader reads, the HPA's metrics are metrics the server
// exports, and the Dockerfile builds a static, non-root image. The package
// has no code of its own.
package kubernetes
