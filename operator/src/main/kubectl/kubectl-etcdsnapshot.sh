#!/bin/sh
# kubectl-etcdsnapshot: the k3s-etcd-backup kubectl plugin, one file. These lines start Java on
# the jar appended below them (zip readers find an archive from its end). Needs Java 17+.
java=java
[ -n "$JAVA_HOME" ] && java="$JAVA_HOME/bin/java"
if ! command -v "$java" >/dev/null 2>&1; then
  echo "kubectl-etcdsnapshot: needs Java 17 or later: put java on PATH or set JAVA_HOME" >&2
  exit 1
fi
# A class-data archive of this very file, made by its first run and kept in the user's cache
# (named for the file's time and size, so a new plugin makes a new one): later runs start in
# about two thirds of the time (docs/benchmarks.md). Without a writable cache, none is used.
cds=""
cache="${XDG_CACHE_HOME:-$HOME/.cache}/k3s-etcd-backup"
archive="$cache/kubectl-etcdsnapshot-$(stat -c %Y-%s "$0" 2>/dev/null).jsa"
if [ -f "$archive" ]; then
  cds="-XX:SharedArchiveFile=$archive"
elif mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
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
