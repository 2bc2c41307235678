#!/usr/bin/env bash
# Snapshot benchmark (issue 13): our `save` and `save --s3` against what K3s users do today, on
# etcd v3.6 (the line K3s v1.34 embeds) serving client TLS in K3s's layout, with three S3 servers.
#
# usage: operator/bench/snapshot-bench.sh [SIZE_MIB=1024] [RUNS=5] [--grpc-java]
#
# Fills etcd to SIZE MiB of incompressible values, then for each S3 server (S3Proxy on its
# filesystem store, the npm package s3rver, then SeaweedFS's S3 gateway) alternates RUNS times:
#   A  etcdctl snapshot save                                     (etcd's own client)
#   B  our save                                                  (local file only)
#   C  K3s's way: etcdctl snapshot save, then `aws s3 cp` of the file (one after the other)
#   D  our save --s3                                             (file and upload in one pass)
#   F  our save --encrypt-recipients-file (age, one X25519 recipient; against S3Proxy's round only)
# Our CLI runs through target/k3s-etcd-backup, the launcher with the JVM flags the image's
# entrypoint has too; the warm-up run before each server's rounds is also its first `save`, which
# writes the launcher's class-data archive into ~/.cache/k3s-etcd-backup, which later runs start
# from. Every command is timed as a whole process with GNU time; the etcd and S3 server
# processes' CPU is read from /proc around each run. Medians are quoted; each ratio is between
# medians of the same run. --grpc-java also times E, the same save with etcd's stream read
# by grpc-java (operator/bench/grpc-java, stubs generated from etcd's rpc.proto).
#
# Needs Java 17, Maven, Go (etcd is built once by scripts/real-control-plane.sh, SeaweedFS once by
# scripts/seaweedfs.sh), npm (s3rver is installed once under the same cache); installs GNU time,
# openssl, awscli and age from Debian when missing. About 20 minutes at 1 GiB and 5 runs on 2
# cores; `128 3` for a quick look.
set -euo pipefail
size=1024
runs=5
grpc_java=false
positional=()
for a in "$@"; do
  case "$a" in
    --grpc-java) grpc_java=true ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) positional+=("$a") ;;
  esac
done
[ ${#positional[@]} -ge 1 ] && size=${positional[0]}
[ ${#positional[@]} -ge 2 ] && runs=${positional[1]}
cd "$(dirname "$0")/../.."
root=$(pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup

missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v age-keygen >/dev/null || missing+=(age)
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
aws=/usr/bin/aws
bin=$(bash scripts/real-control-plane.sh | tail -1)
weed=$(bash scripts/seaweedfs.sh | tail -1)
s3rver_dir=$cache/s3rver-3.7.1
s3rver=$s3rver_dir/node_modules/s3rver/bin/s3rver.js
if [ ! -f "$s3rver" ]; then
  mkdir -p "$s3rver_dir"
  (cd "$s3rver_dir" && npm install --no-audit --no-fund --silent s3rver@3.7.1 >/dev/null)
fi
launcher=$root/operator/target/k3s-etcd-backup
[ -x "$launcher" ] || mvn -B -ntp -q -DskipTests package -pl operator -am
cp_file=$root/operator/target/bench-classpath.txt
[ -f "$cp_file" ] || mvn -B -ntp -q -pl operator dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
if $grpc_java; then
  go_api=$(GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json go.etcd.io/etcd/api/v3@v3.6.16 \
    | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  python3 operator/bench/grpc-java/etcd-protos.py "$go_api" operator/bench/grpc-java/target/etcd-protos
  mvn -B -ntp -q -f operator/bench/grpc-java/pom.xml package dependency:build-classpath \
    -Dmdep.outputFile=target/cp.txt
  grpc_cp=$root/operator/bench/grpc-java/target/grpc-java-save-0.jar:$(cat operator/bench/grpc-java/target/cp.txt)
fi

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/etcd-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# K3s's etcd TLS layout (server/tls/etcd under the data dir): EC keys in SEC1 form, each leaf
# certificate file followed by its CA.
tls=$work/data/server/tls/etcd
mkdir -p "$tls"
openssl ecparam -name prime256v1 -genkey -noout -out "$tls/server-ca.key"
openssl req -x509 -new -key "$tls/server-ca.key" -subj "/CN=etcd-server-ca@$(date +%s)" -days 30 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
  -out "$tls/server-ca.crt" 2>/dev/null
leaf() { # leaf NAME SUBJECT EXTENSIONS
  openssl ecparam -name prime256v1 -genkey -noout -out "$tls/$1.key"
  printf 'keyUsage=critical,digitalSignature,keyEncipherment\n%b\n' "$3" >"$tls/$1.ext"
  openssl req -new -key "$tls/$1.key" -subj "$2" -out "$tls/$1.csr"
  openssl x509 -req -in "$tls/$1.csr" -CA "$tls/server-ca.crt" -CAkey "$tls/server-ca.key" \
    -CAcreateserial -days 30 -out "$tls/$1.crt" -extfile "$tls/$1.ext" 2>/dev/null
  cat "$tls/server-ca.crt" >>"$tls/$1.crt"
  rm "$tls/$1.csr" "$tls/$1.ext"
}
leaf server-client /CN=etcd-server 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth'
leaf client /CN=etcd-client 'extendedKeyUsage=clientAuth'

port=$((20000 + RANDOM % 20000))
endpoint="https://127.0.0.1:$port"
fill_endpoint="http://127.0.0.1:$((port + 2))" # the filler's only: snapshots use TLS
"$bin/etcd" --name bench --data-dir "$work/data/server/db/etcd" \
  --listen-client-urls "$endpoint,$fill_endpoint" --advertise-client-urls "$endpoint" \
  --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
  --initial-cluster "bench=http://127.0.0.1:$((port + 1))" --quota-backend-bytes 8589934592 \
  --max-request-bytes 2097152 --client-cert-auth --trusted-ca-file "$tls/server-ca.crt" \
  --cert-file "$tls/server-client.crt" --key-file "$tls/server-client.key" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=("$etcd_pid")
tlsflags=(--cacert "$tls/server-ca.crt" --cert "$tls/client.crt" --key "$tls/client.key")
for _ in $(seq 100); do "$bin/etcdctl" --endpoints "$endpoint" "${tlsflags[@]}" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done

cat >"$work/logback.xml" <<'CONF'
<configuration>
  <appender name="E" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d %-5level %logger %msg%n</pattern></encoder></appender>
  <root level="WARN"><appender-ref ref="E"/></root>
</configuration>
CONF
echo "filling etcd $("$bin/etcd" --version | head -1 | awk '{print $3}') with ${size} MiB ..."
java -Dlogback.configurationFile="$work/logback.xml" -cp "$(cat "$cp_file")" "$root/operator/bench/EtcdFill.java" "$fill_endpoint" "$size"

# S3 server 1: S3Proxy (from the test dependencies) on its filesystem store.
s3proxy_port=$((port + 3))
mkdir -p "$work/s3proxy/bench"
cat >"$work/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$s3proxy_port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench-access
s3proxy.credential=bench-secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$work/s3proxy
CONF
java -Dlogback.configurationFile="$work/logback.xml" -cp "$(cat "$cp_file")" \
  org.gaul.s3proxy.Main --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
s3proxy_pid=$!
pids+=("$s3proxy_pid")
# S3 server 2: s3rver (npm), its own default keys.
s3rver_port=$((port + 4))
mkdir -p "$work/s3rver"
node "$s3rver" -d "$work/s3rver" -a 127.0.0.1 -p "$s3rver_port" -s --configure-bucket bench \
  >"$work/s3rver.log" 2>&1 &
s3rver_pid=$!
pids+=("$s3rver_pid")
# S3 server 3: SeaweedFS, master, volume server, filer and S3 gateway in one `weed server`
# process (its defaults: one copy, no fsync per write), with one identity of our own.
seaweedfs_port=$((port + 5))
mkdir -p "$work/seaweedfs"
cat >"$work/seaweedfs-s3.json" <<CONF
{"identities": [{"name": "bench", "credentials": [{"accessKey": "bench-access",
  "secretKey": "bench-secret"}], "actions": ["Admin", "Read", "List", "Write", "Tagging"]}]}
CONF
"$weed" server -ip 127.0.0.1 -ip.bind 127.0.0.1 -dir "$work/seaweedfs" \
  -master.port $((port + 6)) -volume.port $((port + 7)) -filer -filer.port $((port + 8)) \
  -s3 -s3.port "$seaweedfs_port" -s3.config "$work/seaweedfs-s3.json" >"$work/seaweedfs.log" 2>&1 &
seaweedfs_pid=$!
pids+=("$seaweedfs_pid")
for p in "$s3proxy_port" "$s3rver_port" "$seaweedfs_port"; do
  for _ in $(seq 300); do (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.2; done
done
seaweedfs_aws=(env AWS_ACCESS_KEY_ID=bench-access AWS_SECRET_ACCESS_KEY=bench-secret
  AWS_DEFAULT_REGION=us-east-1 "$aws" --endpoint-url "http://127.0.0.1:$seaweedfs_port")
for _ in $(seq 60); do "${seaweedfs_aws[@]}" s3 mb s3://bench >/dev/null 2>&1 && break; sleep 1; done

out=$work/out
mkdir -p "$out"
cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$1/stat"; }
# time_it LABEL S3PID COMMAND...: appends "wall_s rss_kib cpu_s etcd_cpu_ms s3_cpu_ms" to LABEL.txt
time_it() {
  local label=$1 s3pid=$2; shift 2
  rm -rf "${out:?}"/*
  sync
  local e0 s0
  e0=$(cpu_ms "$etcd_pid"); s0=$(cpu_ms "$s3pid")
  /usr/bin/time -f "%e %M %U %S" -o "$work/t" "$@" >/dev/null 2>"$work/$label.err" || { cat "$work/$label.err"; exit 1; }
  read -r wall rss user sys <"$work/t"
  echo "$wall $rss $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $(( $(cpu_ms "$etcd_pid") - e0 )) $(( $(cpu_ms "$s3pid") - s0 ))" >>"$work/$label.txt"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk "{print \$$2}" "$work/$1.txt" | median; }
maxcol() { awk "{print \$$2}" "$work/$1.txt" | sort -n | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

ours=("$launcher" etcd-snapshot save --endpoints "$endpoint" "${tlsflags[@]}" --dir "$out" --node-name bench)
etcdctl=("$bin/etcdctl" --endpoints "$endpoint" "${tlsflags[@]}" snapshot save "$out/etcd-snapshot-bench")
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
age-keygen -o "$work/age-identity.txt" 2>/dev/null
age-keygen -y "$work/age-identity.txt" >"$work/age-recipients.txt"
encrypt=(--encrypt-recipients-file "$work/age-recipients.txt")
echo "load average before: $(loadavg)"

servers=(s3proxy s3rver seaweedfs)
for server in "${servers[@]}"; do
  case "$server" in
    s3proxy) s3pid=$s3proxy_pid; s3port=$s3proxy_port; key=bench-access; secret=bench-secret ;;
    s3rver) s3pid=$s3rver_pid; s3port=$s3rver_port; key=S3RVER; secret=S3RVER ;;
    seaweedfs) s3pid=$seaweedfs_pid; s3port=$seaweedfs_port; key=bench-access; secret=bench-secret ;;
  esac
  s3=(--s3 --s3-endpoint "127.0.0.1:$s3port" --s3-insecure --s3-bucket bench --s3-access-key "$key" --s3-secret-key "$secret")
  k3s_way=(env AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
    sh -c "$(printf '%q ' "${etcdctl[@]}") && $aws --endpoint-url http://127.0.0.1:$s3port s3 cp --only-show-errors $out/etcd-snapshot-bench s3://bench/etcd-snapshot-bench")
  empty_bucket() {
    if [ "$server" = seaweedfs ]; then # its objects are chunks in its volumes: delete through S3
      "${seaweedfs_aws[@]}" s3 rm --recursive --only-show-errors s3://bench/
    else
      rm -rf "${work:?}/$server/bench/"* "${work:?}/$server/bench/".metadata 2>/dev/null || true
    fi
  }
  echo "== $server: warm-up ..."
  time_it "warm_$server" "$s3pid" "${ours[@]}" "${s3[@]}"
  empty_bucket
  for i in $(seq "$runs"); do
    time_it "etcdctl_$server" "$s3pid" "${etcdctl[@]}"
    time_it "save_$server" "$s3pid" "${ours[@]}"
    time_it "k3sway_$server" "$s3pid" "${k3s_way[@]}"
    empty_bucket
    time_it "saves3_$server" "$s3pid" "${ours[@]}" "${s3[@]}"
    [ "$server" = s3proxy ] && time_it "saveage" "$s3pid" "${ours[@]}" "${encrypt[@]}"
    empty_bucket
    if $grpc_java && [ "$server" = s3proxy ]; then
      time_it grpcjava "$s3pid" java -XX:+UseSerialGC -Xms16m -Xmx192m -cp "$grpc_cp" \
        dev.k3sbackup.bench.GrpcJavaSave "$endpoint" "$tls/server-ca.crt" "$tls/client.crt" "$tls/client.key" "$out" bench
    fi
    echo "   run $i/$runs done (load average $(loadavg))"
  done
done

# etcd's snapshot is its database file plus the 32-byte sha256 trailer
snap_bytes=$(( $("$bin/etcdctl" --endpoints "$endpoint" "${tlsflags[@]}" endpoint status -w json \
  | sed 's/.*"dbSize":\([0-9]*\).*/\1/') + 32 ))
gib=$(awk -v b="$snap_bytes" 'BEGIN { print b / 1073741824 }')
echo
echo "$(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1),"
echo "etcd $("$bin/etcd" --version | head -1 | awk '{print $3}') with client TLS, snapshot about $snap_bytes bytes ($gib GiB); $runs runs each, alternated;"
echo "load average after: $(loadavg)"
for server in "${servers[@]}"; do
  echo
  echo "-- against $server: medians (wall s, client CPU s, etcd CPU s, S3 server CPU s), peak RSS (largest process, max of runs)"
  for label in etcdctl save k3sway saves3; do
    f="${label}_$server"
    printf '  %-8s wall %6.2f   client cpu %5.2f   etcd %5.2f   S3 server %5.2f   peak RSS %4d MiB\n' "$label" \
      "$(col "$f" 1)" "$(col "$f" 3)" "$(awk -v v="$(col "$f" 4)" 'BEGIN { print v / 1000 }')" \
      "$(awk -v v="$(col "$f" 5)" 'BEGIN { print v / 1000 }')" "$(( $(maxcol "$f" 2) / 1024 ))"
  done
  upload=$(awk -v a="$(col "saves3_$server" 3)" -v b="$(col "save_$server" 3)" -v g="$gib" 'BEGIN { printf "%.2f", (a - b) / g }')
  echo "  save / etcdctl (wall):          $(ratio "$(col "save_$server" 1)" "$(col "etcdctl_$server" 1)")   target <= 1.0"
  echo "  save --s3 / K3s's way (wall):   $(ratio "$(col "saves3_$server" 1)" "$(col "k3sway_$server" 1)")   target <= 0.65"
  echo "  our upload's CPU per GiB:       $upload CPU-s   target <= 1.0 (client CPU of save --s3 minus save)"
  echo "  peak RSS save / save --s3:      $(( $(maxcol "save_$server" 2) / 1024 )) / $(( $(maxcol "saves3_$server" 2) / 1024 )) MiB   target <= 256"
done
echo
echo "-- encryption (age, one X25519 recipient), in the s3proxy runs:"
printf '  save --encrypt-recipients-file wall %6.2f   client cpu %5.2f   peak RSS %4d MiB\n' "$(col saveage 1)" "$(col saveage 3)" "$(( $(maxcol saveage 2) / 1024 ))"
echo "  encrypted save / save (wall):   $(ratio "$(col saveage 1)" "$(col save_s3proxy 1)")"
echo "  encryption's CPU per GiB:       $(awk -v a="$(col saveage 3)" -v b="$(col save_s3proxy 3)" -v g="$gib" 'BEGIN { printf "%.2f", (a - b) / g }') CPU-s"
if $grpc_java; then
  echo
  echo "-- grpc-java (grpc-netty-shaded, BoringSSL) for the same save, in the s3proxy runs:"
  printf '  grpc-java wall %6.2f   client cpu %5.2f   peak RSS %4d MiB\n' "$(col grpcjava 1)" "$(col grpcjava 3)" "$(( $(maxcol grpcjava 2) / 1024 ))"
  echo "  grpc-java / etcdctl (wall):     $(ratio "$(col grpcjava 1)" "$(col etcdctl_s3proxy 1)")   adopt if <= 1.05 and RSS <= 256 MiB"
  echo "  ours / grpc-java (wall):        $(ratio "$(col save_s3proxy 1)" "$(col grpcjava 1)")"
fi
