#!/usr/bin/env bash
# Builds the real control plane the real-API-server test tier runs, from the Go module proxy, once:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes, K3s's v1.34 line) and
# etcd, etcdctl and etcdutl (etcd v3.6, the line K3s v1.34 embeds, by scripts/etcd-binaries.sh). Cached by version under
# ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/; the last line printed is the absolute path of
# the directory holding the binaries (a second run prints it at once).
#
# Why not K3s itself: the Go module proxy refuses github.com/k3s-io/k3s (scripts/real-k3s.sh says
# exactly how), so the parts of K3s this operator meets through the network (API server, Job
# controller, etcd with client TLS in K3s's layout) are built from their upstream modules instead.
#
# Each program is built through a small wrapper module of our own: k8s.io/kubernetes replaces its
# staging modules with ./staging/..., which a consumer must point at the matching v0.<minor>.<patch>
# releases.
set -euo pipefail

scripts=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-$(bash "$scripts/etcd-binaries.sh" --version)}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup
out="$cache/control-plane-$K8S_VERSION-etcd-$ETCD_VERSION"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd etcdctl etcdutl)

complete() {
  local b
  for b in "${bins[@]}"; do [ -x "$out/$b" ] || return 1; done
}
if complete; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "real-control-plane: Go is needed (go 1.26 or newer on PATH)" >&2; exit 2; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out.tmp"
started=$(date +%s)

# --- Kubernetes ---------------------------------------------------------------------------------
mkdir -p "$work/k8s"
cd "$work/k8s"
cat >go.mod <<EOF
module k3sbackup.dev/realk8s

go 1.24

require k8s.io/kubernetes $K8S_VERSION
EOF
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "real-control-plane: the proxy gave no go.mod for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
staging=v0.${K8S_VERSION#v1.}
{
  echo
  echo "replace ("
  sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*$|\t\1 => \1 '"$staging"'|p' "$gomod"
  echo ")"
} >>go.mod
cat >tools.go <<'EOF'
//go:build tools

// Package realk8s only names the programs this module builds, so that go mod tidy keeps them.
package realk8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
echo "real-control-plane: resolving k8s.io/kubernetes $K8S_VERSION (staging modules at $staging)" >&2
go mod tidy
minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
ldflags="-s -w"
for kv in "gitVersion=$K8S_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean \
  "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"; do
  ldflags+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
done
echo "real-control-plane: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (10-20 min cold)" >&2
go build -trimpath -tags providerless -ldflags "$ldflags" -o "$out.tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

# --- etcd ---------------------------------------------------------------------------------------
# shared with the container image, which carries etcd and etcdutl
etcd_dir=$(ETCD_VERSION="$ETCD_VERSION" bash "$scripts/etcd-binaries.sh" | tail -n 1)
cp -p "$etcd_dir/etcd" "$etcd_dir/etcdctl" "$etcd_dir/etcdutl" "$out.tmp/"

cd /
rm -rf "$out"
mv "$out.tmp" "$out"
complete || { echo "real-control-plane: built, but $out lacks one of: ${bins[*]}" >&2; exit 1; }
echo "real-control-plane: built in $(($(date +%s) - started)) s" >&2
echo "$out"
