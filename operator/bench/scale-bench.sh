#!/usr/bin/env bash
# Scale benchmark (issue 13): the operator holding 5,000 EtcdSnapshots on a real API server.
#
# usage: operator/bench/scale-bench.sh
#
# Runs ScaleRealClusterIT (the real-cluster tier: etcd v3.6 with K3s's TLS, kube-apiserver,
# kube-controller-manager and kube-scheduler built by scripts/real-control-plane.sh, the operator
# installed as shipped from our image with `kubectl apply -k config/default`) and prints the
# figures it measures: 4,500 scheduled snapshots of three schedules and 500 adopted ones across
# three nodes, created through the API before the operator starts; the operator's start-up and
# full resync, its peak RSS, API requests a minute at rest, `kubectl get esnap` and the plugin's
# `ls`. The test fails on wrong results or a storm of requests; the times are for the reader.
# Needs root (the tier's network namespaces), Java 17, Maven and Go; builds the image first.
# About 6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(bash scripts/real-control-plane.sh | tail -1)
bash scripts/build-image.sh >/dev/null
log=$(mktemp "${TMPDIR:-/tmp}/scale-bench.XXXXXX")
trap 'rm -f "$log"' EXIT
status=0
mvn -B -ntp verify -pl operator -Dit.test=ScaleRealClusterIT -Dtest=NoSuchTest \
  -Dsurefire.failIfNoSpecifiedTests=false \
  -Dimage.tarball="$PWD/operator/target/k3s-etcd-backup-image.tar" -Drealcluster.bin="$bin" \
  >"$log" 2>&1 || status=$?
echo "$(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^scale: ' "$log" | sed 's/^scale: /  /'
if [ "$status" -ne 0 ]; then
  grep -E 'Tests run:|FAIL|ERROR\]' "$log" | head -20
  echo "ScaleRealClusterIT failed (exit $status)"
fi
exit "$status"
