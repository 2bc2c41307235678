#!/usr/bin/env bash
# Restore-drill benchmark: fills a real etcd v3.6 (the line K3s v1.34 embeds) to SIZE MiB, saves
# a snapshot with etcdctl, then runs our `etcd-snapshot drill` on it RUNS times (sha256 and
# trailer check, etcdutl restore, throwaway etcd start, read back of every key, clean-up) and
# prints each run's wall time, peak RSS of our process and the drill's own step timings.
#
# usage: operator/bench/drill-bench.sh [SIZE_MIB=1024] [RUNS=3]
# Needs Java 17, GNU time and etcd v3.6 (scripts/etcd-binaries.sh; ETCD_BIN_DIR to point
# elsewhere).
set -euo pipefail
size=${1:-1024}
runs=${2:-3}
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${ETCD_BIN_DIR:-$(bash scripts/etcd-binaries.sh | tail -n 1)}
[ -x /usr/bin/time ] || { echo "drill-bench: needs GNU time (apt-get install time)" >&2; exit 1; }
jar=$root/operator/target/k3s-etcd-backup.jar
[ -f "$jar" ] || mvn -B -ntp -q -DskipTests package

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/drill-bench.XXXXXX")
etcd_pid=""
cleanup() { [ -z "$etcd_pid" ] || kill "$etcd_pid" 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
endpoint="http://127.0.0.1:$port"
"$bin/etcd" --name bench --data-dir "$work/etcd" --listen-client-urls "$endpoint" \
  --advertise-client-urls "$endpoint" --listen-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-cluster "bench=http://127.0.0.1:$((port + 1))" --quota-backend-bytes 8589934592 \
  --max-request-bytes 2097152 --listen-metrics-urls "http://127.0.0.1:$((port + 2))" \
  >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 100); do "$bin/etcdctl" --endpoints "$endpoint" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done

echo "filling etcd v3.6 with ${size} MiB ..."
java -cp "$jar" "$root/operator/bench/EtcdFill.java" "$endpoint" "$size"
mkdir -p "$work/snapshots" "$work/drills"
name=on-demand-bench-$(date +%s)
"$bin/etcdctl" --endpoints "$endpoint" snapshot save "$work/snapshots/$name" >/dev/null
kill "$etcd_pid"; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=""
bytes=$(stat -c %s "$work/snapshots/$name")
sha=$(sha256sum "$work/snapshots/$name" | cut -d' ' -f1)
echo "snapshot: $bytes bytes"

for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$work/time" java -jar "$jar" etcd-snapshot drill "$name" \
    --dir "$work/snapshots" --sha256 "$sha" --etcd-bin-dir "$bin" --work-dir "$work/drills" \
    -o json >"$work/report.json" 2>"$work/drill.log" || { cat "$work/drill.log" >&2; exit 1; }
  read -r wall rss <"$work/time"
  steps=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["timings"]; print(" ".join(f"{k} {v:.2f}" for k,v in t.items()))' "$work/report.json")
  printf 'run %d: wall %6.2f s  peak RSS %4d MiB  (%s)\n' "$i" "$wall" "$((rss / 1024))" "$steps"
done
