#!/usr/bin/env bash
# Builds the real control plane the real-API-server test tier runs, from the Go module proxy, once:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (k8s.io/kubernetes, K3s's v1.34 line) and
# etcd, etcdctl and etcdutl (etcd v3.6, the line K3s v1.34 embeds). Cached by version under
# ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/; the last line printed is the absolute path of
# the directory holding the binaries (a second run prints it at once).
#
# Why not K3s itself: the Go module proxy refuses github.com/k3s-io/k3s (scripts/real-k3s.sh says
# exactly how), so the parts of K3s this operator meets through the network (API server, Job
# controller, etcd with client TLS in K3s's layout) are built from their upstream modules instead.
#
# Each program is built through a small wrapper module of our own: k8s.io/kubernetes replaces its
# staging modules with ./staging/..., which a consumer must point at the matching v0.<minor>.<patch>
# releases; etcd's main is two lines around go.etcd.io/etcd/server/v3/etcdmain.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
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
mkdir -p "$work/etcd/etcd"
cd "$work/etcd"
cat >go.mod <<EOF
module k3sbackup.dev/realetcd

go 1.24

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION
	go.etcd.io/etcd/etcdutl/v3 $ETCD_VERSION
)
EOF
cat >etcd/main.go <<'EOF'
// Command etcd is etcd's server, as the etcd release binary runs it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
cat >tools.go <<'EOF'
//go:build tools

package realetcd

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
)
EOF
echo "real-control-plane: building etcd $ETCD_VERSION, etcdctl, etcdutl" >&2
go mod tidy
go build -trimpath -ldflags "-s -w" -o "$out.tmp/" ./etcd go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3

cd /
rm -rf "$out"
mv "$out.tmp" "$out"
complete || { echo "real-control-plane: built, but $out lacks one of: ${bins[*]}" >&2; exit 1; }
echo "real-control-plane: built in $(($(date +%s) - started)) s" >&2
echo "$out"
