#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (a production S3 server: Apache-2.0, its S3 gateway in front of a
# filer and volume servers, all run by one `weed server` process) from the Go module proxy, once,
# for the snapshot benchmark's third S3 server. Cached by version under
# ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/; the last line printed is the absolute path of
# the binary (a second run prints it at once).
#
# SeaweedFS tags its releases without Go's semantic versions, so the proxy serves it by a
# pseudo-version; its go.mod has replace directives, which `go install pkg@version` refuses, so it
# is built through a small wrapper module of our own that repeats them.
set -euo pipefail

SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup
out="$cache/seaweedfs-$SEAWEEDFS_VERSION/weed"
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "seaweedfs: Go is needed (go 1.26 or newer on PATH)" >&2; exit 2; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp"' EXIT
cd "$work"
started=$(date +%s)
gomod=$(go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -f "$gomod" ] || { echo "seaweedfs: the proxy gave no go.mod for github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" >&2; exit 1; }
{
  echo "module k3sbackup.dev/seaweedfs"
  echo
  grep -m1 '^go ' "$gomod"
  echo
  echo "require github.com/seaweedfs/seaweedfs $SEAWEEDFS_VERSION"
  echo
  # its own replace lines, the ones that point at another module (not at a local directory)
  grep -E '^replace [^ ]+( v[^ ]+)? => [^ ./][^ ]* v[^ ]+$' "$gomod" || true
} >go.mod
cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/seaweedfs/seaweedfs/weed"
EOF
go mod tidy >/dev/null 2>&1 || go mod tidy
mkdir -p "$(dirname "$out")"
go build -trimpath -ldflags '-s -w' -o "$out.tmp" github.com/seaweedfs/seaweedfs/weed
mv "$out.tmp" "$out"
echo "seaweedfs: built weed $SEAWEEDFS_VERSION in $(( $(date +%s) - started )) s" >&2
echo "$out"
