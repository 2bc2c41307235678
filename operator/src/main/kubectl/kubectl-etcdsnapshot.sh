#!/bin/sh
# kubectl-etcdsnapshot: the k3s-etcd-backup kubectl plugin, one file. These lines start Java on
# the jar appended below them (zip readers find an archive from its end). Needs Java 17+.
java=java
[ -n "$JAVA_HOME" ] && java="$JAVA_HOME/bin/java"
if ! command -v "$java" >/dev/null 2>&1; then
  echo "kubectl-etcdsnapshot: needs Java 17 or later: put java on PATH or set JAVA_HOME" >&2
  exit 1
fi
# A class-data archive of this very file, made by its first run and kept in the user's cache:
# later runs start in about two thirds of the time (docs/benchmarks.md). It is named for this
# file's path (a checksum), its time and size, and Java's time, as the CLI's launcher names its
# own: a new plugin or a new Java at the same path makes a new one and the old one goes, copies at
# other paths keep theirs, and the next archive written removes any that no run has used for
# 30 days. Without a writable cache, none is used.
cds=""
cache="${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup"
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
path=$(printf %s "$self" | cksum | cut -d' ' -f1)
stamp=$(stat -c %Y-%s "$self" 2>/dev/null)-$(stat -c %Y "$(readlink -f "$(command -v "$java")")" 2>/dev/null)
archive="$cache/kubectl-etcdsnapshot-$path-$stamp.jsa"
if [ -f "$archive" ]; then
  touch -c "$archive" 2>/dev/null # in use: not one of those unused for 30 days
  cds="-XX:SharedArchiveFile=$archive"
elif mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
  rm -f "$cache/kubectl-etcdsnapshot-$path-"*.jsa
  find "$cache" -maxdepth 1 -name 'kubectl-etcdsnapshot-*.jsa*' -mtime +30 -exec rm -f {} + 2>/dev/null
  # shellcheck disable=SC2086 # KUBECTL_ETCDSNAPSHOT_JAVA_OPTS holds several options
  "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$archive.$$" \
    -Xlog:cds=off -Xlog:cds+dynamic=off $KUBECTL_ETCDSNAPSHOT_JAVA_OPTS \
    -jar "$0" kubectl-etcdsnapshot "$@"
  status=$?
  [ -f "$archive.$$" ] && mv -f "$archive.$$" "$archive"
  exit "$status"
fi
# shellcheck disable=SC2086 # KUBECTL_ETCDSNAPSHOT_JAVA_OPTS holds several options
exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $cds -Xlog:cds=off \
  $KUBECTL_ETCDSNAPSHOT_JAVA_OPTS -jar "$0" kubectl-etcdsnapshot "$@"
