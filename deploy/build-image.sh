#!/usr/bin/env bash
# Builds Portico's container image without a container daemon, into
# dist/portico-image.tar (an OCI archive) unless -o says otherwise:
#
#   deploy/build-image.sh                         # portico:<version>, this machine's architecture
#   deploy/build-image.sh -arch arm64 -format docker -tag ghcr.io/portico-gw/portico:v1.2.3
#
# Then: docker load -i dist/portico-image.tar, podman load -i ..., or
# skopeo copy oci-archive:dist/portico-image.tar docker://REGISTRY/portico:TAG.
# The image is the one the Dockerfile builds (deploy/imagebuild says how
# the two are kept equal). Any flag of `go run ./deploy/build-image -h`
# may be given.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
revision="$(git rev-parse HEAD 2>/dev/null || true)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
exec go run ./deploy/build-image -o dist/portico-image.tar -tag "portico:${version}" \
	-version "${version}" -revision "${revision}" "$@"
