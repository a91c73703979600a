# syntax=docker/dockerfile:1
#
# Portico's one image: the static binary, the CA bundle, a numeric non-root
# user, nothing else (no shell, no package manager). Every component runs
# from it: the first argument names one (gateway, auth, accounts, configs,
# analytics). deploy/imagebuild builds the same image without a daemon
# (deploy/build-image.sh); the deployment tests check that its final stage
# and that package agree.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=v1.2.3 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t portico:v1.2.3 .

# The Go release of go.mod's go line.
ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=bind,source=go.mod,target=go.mod \
    --mount=type=bind,source=go.sum,target=go.sum \
    go mod download
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
# CGO_ENABLED=0: every dependency, the SQLite driver included, is pure Go.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=bind,target=. \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION}" \
      -o /out/portico ./cmd/portico

FROM scratch
ARG VERSION=dev
ARG REVISION
ARG CREATED
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/portico /portico
USER 65532:65532
WORKDIR /
ENTRYPOINT ["/portico"]
LABEL org.opencontainers.image.title="portico" \
      org.opencontainers.image.description="Portico: the API gateway and the services behind it, in one binary" \
      org.opencontainers.image.source="https://github.com/portico-gw/portico" \
      org.opencontainers.image.url="https://github.com/portico-gw/portico" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
