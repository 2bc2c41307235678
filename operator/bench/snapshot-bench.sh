#!/usr/bin/env bash
# Snapshot benchmark: fills a real etcd to SIZE MiB, then alternates, RUNS times each,
#   A) etcdctl snapshot save   vs  B) our save
#   B) our save                vs  C) our save --s3 (to a local S3Proxy server)
#   B) our save                vs  D) our save --encrypt-recipients-file (age, one X25519 recipient)
# and prints each command's median wall time, the ratios, and our process's peak RSS.
#
# usage: operator/bench/snapshot-bench.sh [SIZE_MIB=1024] [RUNS=5]
# Needs Java 17 and Maven; installs etcd, etcdctl, GNU time and age from Debian when missing.
set -euo pipefail
size=${1:-1024}
runs=${2:-5}
cd "$(dirname "$0")/../.."
root=$(pwd)

missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
command -v etcdctl >/dev/null || missing+=(etcd-client)
[ -x /usr/bin/time ] || missing+=(time)
command -v age-keygen >/dev/null || missing+=(age)
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
jar=$root/operator/target/k3s-etcd-backup.jar
[ -f "$jar" ] || mvn -B -ntp -q -DskipTests package
cp_file=$root/operator/target/bench-classpath.txt
[ -f "$cp_file" ] || mvn -B -ntp -q -pl operator dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/etcd-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
endpoint="http://127.0.0.1:$port"
etcd --name bench --data-dir "$work/etcd" --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
  --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-cluster "bench=http://127.0.0.1:$((port + 1))" --quota-backend-bytes 8589934592 \
  --max-request-bytes 2097152 >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=($etcd_pid)
for _ in $(seq 100); do ETCDCTL_API=3 etcdctl --endpoints "$endpoint" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done

echo "filling etcd with ${size} MiB ..."
java -cp "$jar" "$root/operator/bench/EtcdFill.java" "$endpoint" "$size"

# A local S3 server (S3Proxy, from the test dependencies) storing on disk; the bucket is a folder.
s3port=$((port + 2))
mkdir -p "$work/s3/bench"
cat >"$work/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench-access
s3proxy.credential=bench-secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$work/s3
CONF
cat >"$work/s3proxy-logback.xml" <<'CONF'
<configuration>
  <appender name="E" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %-5level %logger %msg%n</pattern></encoder></appender>
  <root level="WARN"><appender-ref ref="E"/></root>
</configuration>
CONF
java -Dlogback.configurationFile="$work/s3proxy-logback.xml" -cp "$(cat "$cp_file")" \
  org.gaul.s3proxy.Main --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
s3_pid=$!
pids+=($s3_pid)
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$s3port") 2>/dev/null && break; sleep 0.2; done

out=$work/out
mkdir -p "$out"
cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; }
# time_it LABEL COMMAND...: appends "wall_s rss_kib cpu_s etcd_cpu_ms s3_cpu_ms" to $work/LABEL.txt
time_it() {
  local label=$1; shift
  rm -rf "$out"/*
  sync
  local e0 s0
  e0=$(cpu_ms "$etcd_pid"); s0=$(cpu_ms "$s3_pid")
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >/dev/null 2>"$work/$label.err" || { cat "$work/$label.err"; exit 1; }
  read -r wall rss user sys <"$work/t"
  echo "$wall $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $(( $(cpu_ms "$etcd_pid") - e0 )) $(( $(cpu_ms "$s3_pid") - s0 ))" >>"$work/$label.txt"
}
# The CLI exactly as the README runs it: plain `java -jar`, default JVM settings.
ours=(java -jar "$jar" etcd-snapshot save --endpoints "$endpoint" --dir "$out" --node-name bench)
age-keygen -o "$work/age-identity.txt" 2>/dev/null
age-keygen -y "$work/age-identity.txt" >"$work/age-recipients.txt"
age=(--encrypt-recipients-file "$work/age-recipients.txt")
s3=(--s3 --s3-endpoint "127.0.0.1:$s3port" --s3-insecure --s3-bucket bench
  --s3-access-key bench-access --s3-secret-key bench-secret)

echo "warm-up ..."
time_it warmup "${ours[@]}"
time_it warmup "${ours[@]}" "${s3[@]}"
time_it warmup "${ours[@]}" "${age[@]}"
rm -rf "$work/s3/bench"/*
ETCDCTL_API=3 etcdctl snapshot status -w table "$(ls -d "$out"/* | head -1)" 2>/dev/null || true
for i in $(seq "$runs"); do
  time_it etcdctl env ETCDCTL_API=3 etcdctl --endpoints "$endpoint" snapshot save "$out/etcdctl.db"
  time_it save "${ours[@]}"
  sleep 1
  time_it save_s3 "${ours[@]}" "${s3[@]}"
  sleep 1
  time_it save2 "${ours[@]}"
  sleep 1
  time_it save_age "${ours[@]}" "${age[@]}"
  rm -rf "$work/s3/bench"/*
  echo "run $i/$runs done"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk "{print \$$2}" "$work/$1.txt" | median; }
m_etcdctl=$(col etcdctl 1); m_save=$(col save 1); m_s3=$(col save_s3 1); m_save2=$(col save2 1); m_age=$(col save_age 1)
rss_save=$(awk '{print $2}' "$work/save.txt" "$work/save2.txt" | sort -n | tail -1)
rss_s3=$(awk '{print $2}' "$work/save_s3.txt" | sort -n | tail -1)
rss_age=$(awk '{print $2}' "$work/save_age.txt" | sort -n | tail -1)

db=$(ls -l "$(ls -d "$out"/* | head -1)" | awk '{print $5}')
echo
echo "snapshot size: $db bytes; $runs runs each, alternated; wall-clock medians:"
printf '  etcdctl snapshot save     %6.2f s\n' "$m_etcdctl"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf '  save                      %6.2f s   (ratio to etcdctl: %s, target <= 1.05)\n' "$m_save" "$(ratio "$m_save" "$m_etcdctl")"
printf '  save (second series)      %6.2f s\n' "$m_save2"
printf '  save --s3                 %6.2f s   (ratio to save: %s, target <= 1.2)\n' "$m_s3" "$(ratio "$m_s3" "$(awk -v a="$m_save" -v b="$m_save2" 'BEGIN { print (a + b) / 2 }')")"
printf '  save --encrypt-recipients-file %6.2f s   (ratio to save: %s)\n' "$m_age" "$(ratio "$m_age" "$(awk -v a="$m_save" -v b="$m_save2" 'BEGIN { print (a + b) / 2 }')")"
printf '  peak RSS save             %6d MiB  (target <= 256)\n' "$((rss_save / 1024))"
printf '  peak RSS save --s3        %6d MiB\n' "$((rss_s3 / 1024))"
printf '  peak RSS save (age)       %6d MiB\n' "$((rss_age / 1024))"
echo "CPU seconds per run (medians; 2 cores are shared by etcd, our process and the S3 server):"
for label in etcdctl save save_s3 save_age; do
  printf '  %-9s client %5.2f s   etcd %5.2f s   S3 server %5.2f s\n' "$label" "$(col "$label" 3)" \
    "$(awk -v v="$(col "$label" 4)" 'BEGIN { print v / 1000 }')" "$(awk -v v="$(col "$label" 5)" 'BEGIN { print v / 1000 }')"
done
