# syntax=docker/dockerfile:1
# Chatbox container image: one static binary on an empty base image. No
# shell, no package manager, nothing to patch but the binary itself.
#
#   docker build --build-arg VERSION=v1.0.0 -t chatbox-websocket:v1.0.0 .
#
# deployments/kubernetes/manifests_test.go checks this file's structure and
# runs its go build command, so the build is tested without Docker.

# Build stage. Its Go minor version follows go.mod (the test checks it).
FROM golang:1.26.8 AS build
WORKDIR /src
# Modules first: a code change reuses the downloaded modules layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo: the SQLite driver is pure Go), reproducible paths, the
# version stamped for `chatbox version` and the start-up log.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o bin/chatbox ./cmd/chatbox
# The data directory, owned by the runtime user: the image runs without a
# volume too (development-like settings keep SQLite there).
RUN mkdir -p /rootfs/var/lib/chatbox

# Runtime stage: the binary, CA certificates for HTTPS to LLM APIs, and an
# empty data directory.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build --chown=65532:65532 /rootfs/var/lib/chatbox /var/lib/chatbox
COPY --from=build /src/bin/chatbox /usr/local/bin/chatbox
ENV CHATBOX_ENV=production \
    CHATBOX_DATA_DIR=/var/lib/chatbox
# Numeric, so Kubernetes can verify runAsNonRoot without an /etc/passwd.
USER 65532:65532
EXPOSE 8080
# No HEALTHCHECK: Kubernetes probes /chat/healthz and /chat/readyz.
ENTRYPOINT ["/usr/local/bin/chatbox"]
CMD ["serve"]
