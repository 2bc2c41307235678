#!/usr/bin/env bash
# Runs every test (unit, integration against real etcd and S3, the built container image, the
# real-cluster tier, the Helm chart, and the end-to-end tests, which skip themselves without a
# Docker engine) on a fresh Debian machine with Java 17, Maven and Go. The real-cluster tier's
# control plane (kube-apiserver, controller manager, scheduler, kubectl, etcd 3.6) is built from
# the Go module proxy by scripts/real-control-plane.sh once and cached by version (about 10
# minutes cold), and so is Helm (scripts/build-helm.sh, about 5 minutes cold). Installs from
# Debian what is missing of: etcd, etcdctl, openssl, shellcheck (it checks scripts/), busybox (the
# shell of the e2e's K3s container, for K3sSupervisorIT) and promtool (Debian's prometheus
# package: it judges the alert rules in config/prometheus), age (Debian's, the judge of encrypted snapshots). kubectl (it renders config/ for the
# deploy/ manifest check, the chart comparison and the install script's overlays) is on the
# machine image.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
command -v openssl >/dev/null || missing+=(openssl)
command -v shellcheck >/dev/null || missing+=(shellcheck)
command -v busybox >/dev/null || missing+=(busybox)
command -v promtool >/dev/null || missing+=(prometheus)
command -v age >/dev/null || missing+=(age)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing from Debian: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The container image, as an OCI tarball on a base made from Debian's packages (no Docker, no
# registry), so that ContainerImageIT runs it in a chroot (as root; it skips itself otherwise).
bash scripts/build-image.sh
# The real-cluster tier: skipped with one line where the control plane cannot be built, except
# in CI, where that is a failure.
if ! control_plane=$(bash scripts/real-control-plane.sh | tail -n 1); then
  [ "${CI:-}" != true ] || { echo "test: the real-cluster tier cannot run (see above)" >&2; exit 1; }
  control_plane=""
fi
# Helm for the chart's tests (helm lint, helm template, helm install on the real-cluster tier),
# built from the Go module proxy by scripts/build-helm.sh once and cached by version (about
# 5 minutes cold). Where it cannot be built the Helm tests skip with one line, except in CI.
if ! helm=$(bash scripts/build-helm.sh | tail -n 1); then
  [ "${CI:-}" != true ] || { echo "test: Helm cannot be built (see above)" >&2; exit 1; }
  helm=""
fi
exec mvn -B -ntp verify -Dimage.tarball="$PWD/operator/target/k3s-etcd-backup-image.tar" \
  -Drealcluster.bin="$control_plane" -Dhelm.bin="$helm" "$@"
