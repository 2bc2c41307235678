#!/usr/bin/env bash
# No cluster needed: starts a throwaway etcd on loopback, writes a few keys, then shows
# save -> ls -> prune -> verify with the real CLI. Everything lives in a temp dir that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server etcd-client >/dev/null
fi
jar=operator/target/k3s-etcd-backup.jar
[ -f "$jar" ] || mvn -B -ntp -q -DskipTests package

work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
etcd --name try --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$port" \
  --advertise-client-urls "http://127.0.0.1:$port" --listen-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-cluster "try=http://127.0.0.1:$((port + 1))" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
# etcd ends by our SIGTERM: its status (143) is expected, and must not become the script's
trap 'kill $etcd_pid 2>/dev/null; wait $etcd_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$port" endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
for i in $(seq 20); do
  ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$port" put "/registry/demo/key-$i" "value-$i" >/dev/null
done

snap() { java -jar "$jar" etcd-snapshot "$@"; }
common=(--dir "$work/snapshots")
run() { echo; echo "\$ k3s-etcd-backup etcd-snapshot $*"; snap "$@"; }

for i in 1 2 3; do
  run save --endpoints "http://127.0.0.1:$port" "${common[@]}" --node-name demo --name etcd-snapshot
  sleep 1.1 # names carry the second, as K3s's do
done
run ls "${common[@]}"
run prune "${common[@]}" --name etcd-snapshot --snapshot-retention 2
run ls "${common[@]}"
# shellcheck disable=SC2012 # the names are the snapshots just saved: no odd characters
newest=$(ls "$work/snapshots" | sort | tail -n 1)
run verify "${common[@]}" "$newest"
echo; echo "etcd's own judge: etcdctl snapshot status"
ETCDCTL_API=3 etcdctl snapshot status -w table "$work/snapshots/$newest"
