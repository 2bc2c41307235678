#!/usr/bin/env bash
# Builds Helm (helm.sh/helm/v3/cmd/helm) from the Go module proxy, once, for the chart's tests
# (helm lint, helm template, and helm install on the real-cluster tier). Cached by version under
# ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/; the last line printed is the absolute path of
# the helm binary (a second run prints it at once).
#
# Built through a small wrapper module of our own, as scripts/real-control-plane.sh builds
# Kubernetes: it requires helm.sh/helm/v3 at HELM_VERSION and nothing else, so Go's module
# resolution picks exactly the versions Helm's own go.mod names. The link flags are the ones
# Helm's Makefile sets for a release (version, commit, and the Kubernetes version that
# `helm lint` and `helm template` assume, taken from the client-go Helm is built with).
set -euo pipefail

HELM_VERSION=${HELM_VERSION:-v3.22.0}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup
out="$cache/helm-$HELM_VERSION"

if [ -x "$out/helm" ]; then
  echo "$out/helm"
  exit 0
fi

command -v go >/dev/null || { echo "build-helm: Go is needed (go 1.26 or newer on PATH)" >&2; exit 2; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp"' EXIT
started=$(date +%s)

cd "$work"
info=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION") || {
  echo "build-helm: the Go module proxy does not serve helm.sh/helm/v3@$HELM_VERSION" >&2
  exit 1
}
commit=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]*\)",*$/\1/p' | head -n 1)
cat >go.mod <<EOF
module k3sbackup.dev/helm

go 1.26

require helm.sh/helm/v3 $HELM_VERSION
EOF
cat >tools.go <<'EOF'
//go:build tools

// Package helm only names the program this module builds, so that go mod tidy keeps it.
package helm

import _ "helm.sh/helm/v3/cmd/helm"
EOF
echo "build-helm: resolving helm.sh/helm/v3 $HELM_VERSION" >&2
go mod tidy
k8s=$(go list -m -f '{{.Version}}' k8s.io/client-go)
k8s=${k8s#v0.}
k8s_minor=${k8s%%.*}
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.metadata="
ldflags+=" -X helm.sh/helm/v3/internal/version.gitCommit=$commit"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$k8s_minor"
done
echo "build-helm: building helm $HELM_VERSION (a few minutes cold)" >&2
mkdir -p "$out.tmp"
go build -trimpath -ldflags "$ldflags" -o "$out.tmp/helm" helm.sh/helm/v3/cmd/helm
"$out.tmp/helm" version --short >&2

cd /
rm -rf "$out"
mv "$out.tmp" "$out"
echo "build-helm: built in $(($(date +%s) - started)) s" >&2
echo "$out/helm"
