#!/usr/bin/env bash
# Makes the base image of k3s-etcd-backup from Debian's packages, offline from any container
# registry: Debian's headless OpenJDK 17 and the libraries it loads, unpacked with dpkg-deb -x
# (no maintainer scripts, no shell, no package manager in the image), plus nsenter for the restore
# agent, a JVM trust store made from Debian's ca-certificates, and a non-root user 65532.
# Writes it as a `docker save` style tarball, which Jib takes as base image with tar://PATH, and
# prints that path. Cached: a rerun with the same package versions and recipe prints the same
# file without building anything.
#
# Needs apt-get (Debian package lists: run `apt-get update` first when apt-get finds nothing),
# dpkg-deb, tar, sha256sum and java 17. Root is not needed.
#
# usage: scripts/image/make-base.sh [--rebuild]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

rebuild=false
case "${1:-}" in
  "") ;;
  --rebuild) rebuild=true ;;
  *) echo "usage: $0 [--rebuild]" >&2; exit 2 ;;
esac

# What the image holds. The JRE's own native libraries need only libc, zlib, libgcc and libstdc++
# for what a headless server JVM loads (its AWT/sound/smartcard libraries are never loaded
# here); nsenter needs libselinux and libpcre2. util-linux, ca-certificates, base-files and
# libc-bin are unpacked aside: only nsenter, the CA certificates (as a JVM trust store),
# os-release and the C.UTF-8 locale (for LANG=C.UTF-8: UTF-8 file names and output) are taken.
IMAGE_PKGS=(openjdk-17-jre-headless libc6 libgcc-s1 libstdc++6 zlib1g libselinux1 libpcre2-8-0)
ASIDE_PKGS=(util-linux ca-certificates base-files libc-bin)

cache="${K3S_ETCD_BACKUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup}"
mkdir -p "$cache"
arch="$(dpkg --print-architecture)"
JAVA_HOME_IN_IMAGE=/usr/lib/jvm/java-17-openjdk-$arch

candidates() {
  apt-cache show --no-all-versions "${IMAGE_PKGS[@]}" "${ASIDE_PKGS[@]}" 2>/dev/null \
    | awk '/^Package:/{p=$2} /^Version:/{print p"="$2}'
}
versions="$(candidates || true)"
if [ "$(wc -l <<<"$versions")" -ne $((${#IMAGE_PKGS[@]} + ${#ASIDE_PKGS[@]})) ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "make-base: apt has no candidate for every package; running apt-get update" >&2
    apt-get update -qq >&2
    versions="$(candidates)"
  fi
  if [ "$(wc -l <<<"$versions")" -ne $((${#IMAGE_PKGS[@]} + ${#ASIDE_PKGS[@]})) ]; then
    echo "make-base: apt-get cannot find all of ${IMAGE_PKGS[*]} ${ASIDE_PKGS[*]};" \
      "run 'sudo apt-get update' (Debian bookworm sources) and retry" >&2
    exit 1
  fi
fi

# The cache key: package versions, architecture and this recipe (this script and the trust
# store writer).
key="$( (echo "$arch"; echo "$versions"; cat "$0" "$here/CaTrustStore.java") | sha256sum \
  | cut -c1-16)"
out="$cache/base-debian-jre17-$arch-$key.tar"
if [ -s "$out" ] && ! $rebuild; then
  echo "make-base: cached $out" >&2
  echo "$out"
  exit 0
fi

start=$(date +%s)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs" "$work/rootfs" "$work/aside" "$work/image"
# shellcheck disable=SC2086 # one line: the package list is split into words on purpose
echo "make-base: downloading from Debian:" $versions >&2
apt_opts=(-qq)
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
(cd "$work/debs" && apt-get download "${apt_opts[@]}" "${IMAGE_PKGS[@]}" "${ASIDE_PKGS[@]}" >&2)

rootfs="$work/rootfs"
status_d="$rootfs/var/lib/dpkg/status.d"
mkdir -p "$status_d"
for pkg in "${IMAGE_PKGS[@]}"; do
  deb=("$work/debs/${pkg}_"*.deb)
  dpkg-deb -x "${deb[0]}" "$rootfs"
  # Package records where image scanners look for them (as distroless images keep them).
  dpkg-deb -f "${deb[0]}" > "$status_d/$pkg"
done
for pkg in "${ASIDE_PKGS[@]}"; do
  deb=("$work/debs/${pkg}_"*.deb)
  dpkg-deb -x "${deb[0]}" "$work/aside"
done
for pkg in util-linux libc-bin; do
  dpkg-deb -f "$work/debs/${pkg}_"*.deb > "$status_d/$pkg"
done

# What a JVM server never reads: documentation, gdb and gcc helper files, glibc's iconv
# modules (Java has its own charsets), javac's ct.sym and the links to the JDK's sources.
rm -rf "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/lintian" \
  "$rootfs/usr/share/gdb" "$rootfs/usr/share/gcc" "$rootfs/usr/share/info" \
  "$rootfs/usr/share/bug" "$rootfs/usr/lib/$(uname -m)-linux-gnu/gconv" \
  "$rootfs$JAVA_HOME_IN_IMAGE/lib/ct.sym" "$rootfs$JAVA_HOME_IN_IMAGE/lib/src.zip" \
  "$rootfs$JAVA_HOME_IN_IMAGE/docs"
find "$rootfs" -xtype l -delete # links into what was removed

mkdir -p "$rootfs/usr/bin"
cp -p "$work/aside/usr/bin/nsenter" "$rootfs/usr/bin/nsenter"
cp -a "$work/aside/usr/lib/os-release" "$rootfs/usr/lib/os-release"
mkdir -p "$rootfs/usr/lib/locale"
cp -a "$work/aside/usr/lib/locale/C.utf8" "$rootfs/usr/lib/locale/C.utf8"
ln -s ../usr/lib/os-release "$rootfs/etc/os-release"
install -m 0644 "$work/aside/etc/debian_version" "$rootfs/etc/debian_version"
ln -s "..${JAVA_HOME_IN_IMAGE#/usr}/bin/java" "$rootfs/usr/bin/java"

java "$here/CaTrustStore.java" "$work/aside/usr/share/ca-certificates/mozilla" \
  "$rootfs/etc/ssl/certs/java/cacerts" >&2
chmod 0644 "$rootfs/etc/ssl/certs/java/cacerts"

printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' \
  'nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin' \
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' > "$rootfs/etc/passwd"
printf '%s\n' 'root:x:0:' 'nonroot:x:65532:' 'nogroup:x:65534:' > "$rootfs/etc/group"
printf '%s\n' 'hosts: files dns' 'networks: files' > "$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"
mkdir -p "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/root" "$rootfs/home"
install -d -m 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"

# One layer: root owns everything but the non-root user's home, which is appended with its owner.
layer="$work/image/layer.tar"
tar --create --file "$layer" --directory "$rootfs" --sort=name --numeric-owner \
  --owner=0 --group=0 --format=gnu .
install -d -m 0755 "$work/home/nonroot"
tar --append --file "$layer" --directory "$work" --numeric-owner --owner=65532 \
  --group=65532 --format=gnu --no-recursion ./home/nonroot

diff_id="sha256:$(sha256sum "$layer" | cut -d' ' -f1)"
pkgs_line="$(tr '\n' ' ' <<<"$versions")"
cat > "$work/image/config.json" <<EOF
{"architecture":"$arch","os":"linux",
 "config":{"Env":["PATH=$JAVA_HOME_IN_IMAGE/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
   "JAVA_HOME=$JAVA_HOME_IN_IMAGE","LANG=C.UTF-8"]},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:00Z",
   "created_by":"scripts/image/make-base.sh: dpkg-deb -x ${pkgs_line% }"}]}
EOF
echo '[{"Config":"config.json","RepoTags":["k3s-etcd-backup-base:debian12-jre17"],"Layers":["layer.tar"]}]' \
  > "$work/image/manifest.json"
tar --create --file "$out.part" --directory "$work/image" --sort=name --numeric-owner \
  --owner=0 --group=0 --mtime=@0 manifest.json config.json layer.tar
mv "$out.part" "$out"
# Older bases of other package versions are of no further use.
find "$cache" -maxdepth 1 -name "base-debian-jre17-$arch-*.tar" ! -path "$out" -delete
echo "make-base: $out ($(du -m "$layer" | cut -f1) MB unpacked, $(($(date +%s) - start)) s)" >&2
echo "$out"
