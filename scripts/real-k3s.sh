#!/usr/bin/env bash
# Builds a K3s server binary (the v1.34 line) from the Go module proxy once, cached by version
# under ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/, and prints its absolute path as the last
# line (a second run prints it at once).
#
# The proxy lists no K3s versions (its tags carry +k3s1 build metadata), so one exact
# pseudo-version is named: the one RKE2 v1.34.10+rke2r1 pins. K3s is built as RKE2 and Buildroot
# build it: through a wrapper module that requires K3s and copies K3s's own replace block (its
# Kubernetes fork and friends), with the build tags and cgo flags of K3s's scripts/build
# (no_stage: no embedded manifests or static assets).
#
# On 2026-11-30 the proxy refused that version:
#   reading https://proxy.golang.org/github.com/k3s-io/k3s/@v/v1.34.10-0.20260720191035-931a1fbe1614.info:
#   403 Forbidden: This module version is not available.
# Then this script says so and exits 3; the real-cluster test tier runs on the upstream control
# plane that scripts/real-control-plane.sh builds instead (API server, controller manager,
# scheduler, etcd 3.6 with K3s's TLS layout), and the K3s-only proofs stay open.
set -euo pipefail

K3S_MODULE=github.com/k3s-io/k3s
K3S_VERSION=${K3S_VERSION:-v1.34.10-0.20260720191035-931a1fbe1614}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup
out="$cache/k3s-$K3S_VERSION"

if [ -x "$out/k3s" ]; then
  echo "$out/k3s"
  exit 0
fi
command -v go >/dev/null || { echo "real-k3s: Go is needed (go 1.26 or newer on PATH)" >&2; exit 2; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

if ! info=$(go mod download -json "$K3S_MODULE@$K3S_VERSION" 2>&1) \
    || grep -q '"Error"' <<<"$info"; then
  echo "real-k3s: the Go module proxy refuses $K3S_MODULE@$K3S_VERSION:" >&2
  sed -n 's/^[[:space:]]*"Error": "\(.*\)"$/\1/p' <<<"$info" | sed 's/\\n/\n/g; s/\\t/ /g; s/^/  /' >&2
  echo "real-k3s: no K3s can be built here; scripts/real-control-plane.sh builds the upstream" \
    "control plane the real-cluster tests use instead" >&2
  exit 3
fi
gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")

cat >go.mod <<EOF
module k3sbackup.dev/realk3s

go 1.24

require $K3S_MODULE $K3S_VERSION
EOF
# K3s's replace block, as K3s builds with it (relative paths would not resolve here: none expected)
awk '/^replace \($/ {inside=1; print; next} inside && /^\)$/ {print; inside=0; next}
     inside || /^replace [^(]/ {print}' "$gomod" >>go.mod
if grep -q '=> \.' go.mod; then
  echo "real-k3s: K3s's go.mod replaces modules with local paths; the wrapper cannot follow" >&2
  exit 1
fi
cat >tools.go <<'EOF'
//go:build tools

package realk3s

import _ "github.com/k3s-io/k3s/cmd/server"
EOF
go mod tidy
mkdir -p "$out.tmp"
echo "real-k3s: building K3s $K3S_VERSION (20-35 min cold on 2 cores)" >&2
CGO_ENABLED=1 CGO_CFLAGS="-DSQLITE_ENABLE_DBSTAT_VTAB=1 -DSQLITE_USE_ALLOCA=1" \
  go build -trimpath \
  -tags "ctrd netcgo osusergo providerless urfave_cli_no_docs sqlite_omit_load_extension no_stage" \
  -ldflags "-s -w -X $K3S_MODULE/pkg/version.Version=$K3S_VERSION -X $K3S_MODULE/pkg/version.Program=k3s" \
  -o "$out.tmp/k3s" "$K3S_MODULE/cmd/server"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/k3s"
