#!/usr/bin/env bash
# Builds the container image of k3s-etcd-backup with Maven and Jib, without a Docker daemon.
#
# The image holds the jar and etcd v3.6's etcd and etcdutl (scripts/etcd-binaries.sh, cached).
# By default the base is made here from Debian's packages (scripts/image/make-base.sh, cached),
# so no container registry is needed, and the image is written as an OCI tarball to
# operator/target/k3s-etcd-backup-image.tar (import it with `k3s ctr images import FILE` or
# `ctr -n k8s.io images import FILE`). With a registry the image is pushed there instead.
#
#   scripts/build-image.sh                         # OCI tarball, Debian-made base
#   scripts/build-image.sh --registry HOST:PORT    # push HOST:PORT/k3s-etcd-backup:0.1.0
#   scripts/build-image.sh --public-base           # base eclipse-temurin:17-jre from Docker Hub
#
# Options:
#   --registry R    push to R (host[:port][/path]); also $REGISTRY. Registries on loopback
#                   (localhost, 127.0.0.1) are spoken to over plain HTTP, others need HTTPS
#                   unless --insecure. Credentials: Jib's usual sources (docker config,
#                   credential helpers, -Djib.to.auth.*).
#   --insecure      allow plain HTTP and unverified TLS to the registry
#   --image N:T     the image's name and tag (default k3s-etcd-backup:0.1.0); with --registry
#                   it is put under R
#   --public-base   build on eclipse-temurin:17-jre (needs Docker Hub) instead
#   --rebuild-base  make the Debian base again even if one is cached
# Anything after -- goes to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."

registry="${REGISTRY:-}"
insecure=false
image="k3s-etcd-backup:0.1.0"
public_base=false
rebuild_base=false
mvn_extra=()
while (($#)); do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST[:PORT]}"; shift 2 ;;
    --registry=*) registry="${1#*=}"; shift ;;
    --insecure) insecure=true; shift ;;
    --image) image="${2:?--image needs NAME:TAG}"; shift 2 ;;
    --image=*) image="${1#*=}"; shift ;;
    --public-base) public_base=true; shift ;;
    --rebuild-base) rebuild_base=true; shift ;;
    --) shift; mvn_extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$image" in
  *:*) ;;
  *) echo "build-image: --image '$image' has no tag; give NAME:TAG (e.g. k3s-etcd-backup:0.1.0)," \
       "a versioned tag so that imagePullPolicy IfNotPresent uses an imported image" >&2; exit 2 ;;
esac

# Names the image in the tarball the way containerd (K3s's) must store it for a Pod to find it.
# Jib writes the OCI ref name as given ("k3s-etcd-backup:0.1.0"); containerd imports an OCI
# archive under that name unchanged, while the kubelet asks for the normalized name
# ("docker.io/library/k3s-etcd-backup:0.1.0"), so the imported image would never be found and
# the Pod would try to pull it. containerd takes the name from the io.containerd.image.name
# annotation first (its own exports carry it), so that is added to index.json.
name_for_containerd() {
  local tarball="$1" name="$2" first="${2%%/*}" full dir
  if [[ "$name" != */* ]]; then
    full="docker.io/library/$name"
  elif [[ "$first" != *.* && "$first" != *:* && "$first" != localhost ]]; then
    full="docker.io/$name"
  else
    full="$name"
  fi
  dir="$(mktemp -d)"
  tar -xf "$tarball" -C "$dir" --warning=no-unknown-keyword
  local ref="\"org.opencontainers.image.ref.name\":\"$name\""
  if ! grep -qF "$ref" "$dir/index.json"; then
    echo "build-image: $tarball: index.json has no $ref; cannot name it for containerd" >&2
    rm -rf "$dir"
    return 1
  fi
  sed -i "s|$ref|\"io.containerd.image.name\":\"$full\",$ref|" "$dir/index.json"
  # written anew (GNU tar's --delete would lose the entries behind Jib's pax headers)
  tar -cf "$tarball.part" -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime=@0 blobs oci-layout index.json
  mv "$tarball.part" "$tarball"
  rm -rf "$dir"
  echo "build-image: named $full for containerd (K3s: k3s ctr images import $tarball)" >&2
}

start=$(date +%s)
if $public_base; then
  base="eclipse-temurin:17-jre"
else
  base_args=()
  ! $rebuild_base || base_args+=(--rebuild)
  base="tar://$(bash scripts/image/make-base.sh "${base_args[@]}")"
fi

# etcd v3.6's etcd and etcdutl go into /usr/local/bin: etcdutl bumps a restore's revision, etcd
# runs the restore drills (built once from the Go module proxy, cached by version)
etcd_bin=$(bash scripts/etcd-binaries.sh | tail -n 1)

goal=jib:buildTar
target="$image"
props=(-Djib.from.image="$base" -Djib.console=plain -Detcd.bin.dir="$etcd_bin")
if [ -n "$registry" ]; then
  goal=jib:build
  target="${registry%/}/$image"
  case "$registry" in
    # loopback never leaves the machine: plain HTTP (Debian's docker-registry) is fine there
    localhost|localhost[:/]*|127.*|\[::1\]*)
      props+=(-Djib.allowInsecureRegistries=true -Djib.sendCredentialsOverHttp=true) ;;
    *) ! $insecure || props+=(-Djib.allowInsecureRegistries=true) ;;
  esac
fi
props+=(-Dimage="$target")

echo "build-image: $target on ${base#tar://} ($goal)" >&2
mvn -B -ntp -pl operator -DskipTests "${props[@]}" "${mvn_extra[@]}" package "$goal"

if [ -z "$registry" ]; then
  tarball=operator/target/k3s-etcd-backup-image.tar
  name_for_containerd "$tarball" "$image"
  echo "build-image: $target -> $tarball ($(($(stat -c %s "$tarball") / 1000000)) MB, compressed layers)" \
    "in $(($(date +%s) - start)) s" >&2
else
  echo "build-image: pushed $target in $(($(date +%s) - start)) s" >&2
fi
