#!/usr/bin/env bash
# Builds etcd's own programs, etcd, etcdctl and etcdutl (etcd v3.6, the line K3s v1.34 embeds),
# from the Go module proxy, once. The container image carries etcd and etcdutl (see
# scripts/build-image.sh); the real-cluster tier runs all three (scripts/real-control-plane.sh).
# Cached by version under ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup/etcd-<version>/; the last
# line printed is the absolute path of that directory (a second run prints it at once). A
# control plane that scripts/real-control-plane.sh built with the same etcd version is copied
# instead of building again.
#
#   scripts/etcd-binaries.sh             # build (or find) and print the directory
#   scripts/etcd-binaries.sh --version   # print the etcd version only
#
# Static binaries (CGO off), so they run in the image's Debian base and on any Linux host.
# etcd's main is two lines around go.etcd.io/etcd/server/v3/etcdmain, built through a small
# wrapper module of our own.
set -euo pipefail

ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
case "${1:-}" in
  --version) echo "$ETCD_VERSION"; exit 0 ;;
  "") ;;
  *) echo "etcd-binaries: unknown argument '$1' (--version, or nothing)" >&2; exit 2 ;;
esac
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup
out="$cache/etcd-$ETCD_VERSION"
bins=(etcd etcdctl etcdutl)

complete() {
  local dir="$1" b
  for b in "${bins[@]}"; do [ -x "$dir/$b" ] || return 1; done
}
if complete "$out"; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache"
# a directory of this run's own, moved into place whole: two builds at once never mix
tmp=$(mktemp -d "$out.tmp.XXXXXX")
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
publish() {
  if complete "$out"; then
    rm -rf "$tmp"
  else
    rm -rf "$out"
    mv "$tmp" "$out"
  fi
}
for built in "$cache"/control-plane-*-etcd-"$ETCD_VERSION"; do
  if complete "$built"; then
    for b in "${bins[@]}"; do cp -p "$built/$b" "$tmp/"; done
    publish
    echo "etcd-binaries: etcd $ETCD_VERSION taken from $built" >&2
    echo "$out"
    exit 0
  fi
done

command -v go >/dev/null || {
  echo "etcd-binaries: Go is needed (go 1.26 or newer on PATH, reaching the Go module proxy) to" \
    "build etcd $ETCD_VERSION once; or build the image on a machine with Go and import its tarball" >&2
  exit 2
}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
work=$(mktemp -d)
trap 'rm -rf "$work" "$tmp"' EXIT
started=$(date +%s)
mkdir -p "$work/etcd"
cd "$work"
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
echo "etcd-binaries: building etcd $ETCD_VERSION, etcdctl, etcdutl (2-4 min cold)" >&2
go mod tidy
go build -trimpath -ldflags "-s -w" -o "$tmp/" ./etcd go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
complete "$tmp" || { echo "etcd-binaries: built, but lacks one of: ${bins[*]}" >&2; exit 1; }
publish
echo "etcd-binaries: built in $(($(date +%s) - started)) s" >&2
echo "$out"
