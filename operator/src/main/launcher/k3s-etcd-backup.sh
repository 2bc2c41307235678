#!/bin/sh
# k3s-etcd-backup: the CLI (`etcd-snapshot save|ls|delete|prune|verify`) and the operator, one
# file. These lines start Java on the jar appended below them (zip readers find an archive from its
# end). Needs Java 17+.
# The JVM flags are the ones the image's entrypoint gives (operator/pom.xml, Jib), measured in
# docs/benchmarks.md: the serial collector and a small initial heap keep a 1 GiB save under
# 256 MiB of memory (a default JVM on a large host starts with a heap of 1/64 of its RAM and
# touches it all); the heap may still grow to 192 MiB when needed. The JIT compiles a method after
# ten times as many calls as by default (the Tier* thresholds): in a process that lives seconds,
# code that runs a few hundred times (start-up, the S3 requests of each part) stays interpreted
# instead of being compiled twice, while the snapshot stream's loops still reach C2 within the
# first megabytes; 0.5 CPU-s less for a 1 GiB save, 0.9 for a save --s3 (docs/benchmarks.md).
java=java
[ -n "$JAVA_HOME" ] && java="$JAVA_HOME/bin/java"
if ! command -v "$java" >/dev/null 2>&1; then
  echo "k3s-etcd-backup: needs Java 17 or later: put java on PATH or set JAVA_HOME" >&2
  exit 1
fi
flags="-XX:+UseSerialGC -Xms16m -Xmx192m -XX:Tier3InvocationThreshold=2000
  -XX:Tier3MinInvocationThreshold=1000 -XX:Tier3CompileThreshold=20000
  -XX:Tier4InvocationThreshold=50000 -XX:Tier4CompileThreshold=60000"
# For `etcd-snapshot VERB`: a class-data archive of this file for that verb, made by the verb's
# first run and kept in the user's cache. Later runs load their classes verified and linked from
# it instead of from the jar: about 1.3 CPU-seconds less for a `save --s3` (docs/benchmarks.md).
# Each is 20 to 30 MB, named for this file's path (a checksum), its time and size, and Java's
# time: a new file or a new Java at the same path makes new ones and that path's old ones go.
# Copies at other paths keep their own (were they to remove each other's, two versions used in
# turn would each write a new archive on every run: more CPU, and about 170 MiB of memory instead
# of 100 for a `save`); the next archive written removes any that no run has used for 30 days
# (a copy since removed, an older layout, a run killed while writing one).
# K3S_ETCD_BACKUP_CDS=false, or no writable cache, runs without one.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
cache=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
verb=""
# one archive per verb, whichever of its names is typed
[ "$1" = etcd-snapshot ] && case "$2" in
  save|prune|verify|drill) verb=$2 ;;
  ls|list|l) verb="ls" ;;
  delete|rm) verb=delete ;;
esac
if [ -n "$verb" ] && [ -n "$cache" ] && [ "$K3S_ETCD_BACKUP_CDS" != false ]; then
  cache="$cache/k3s-etcd-backup"
  jvm=$(readlink -f "$(command -v "$java")" 2>/dev/null)
  path=$(printf %s "$self" | cksum | cut -d' ' -f1)
  stamp=$(stat -c %Y-%s "$self" 2>/dev/null)-$(stat -c %Y "$jvm" 2>/dev/null)
  archive="$cache/k3s-etcd-backup-$path-$stamp-$verb.jsa"
  if [ -f "$archive" ]; then
    touch -c "$archive" 2>/dev/null # in use: not one of those unused for 30 days
    # shellcheck disable=SC2086 # flags and K3S_ETCD_BACKUP_JAVA_OPTS hold several options
    exec "$java" $flags -XX:SharedArchiveFile="$archive" -Xlog:cds=off -Xlog:cds+dynamic=off \
      $K3S_ETCD_BACKUP_JAVA_OPTS -jar "$self" "$@"
  fi
  if mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ]; then
    for old in "$cache/k3s-etcd-backup-$path-"*.jsa; do
      case "$old" in "$cache/k3s-etcd-backup-$path-$stamp-"*) ;; *) rm -f "$old" ;; esac
    done
    find "$cache" -maxdepth 1 -name 'k3s-etcd-backup-*.jsa*' -mtime +30 -exec rm -f {} + 2>/dev/null
    # shellcheck disable=SC2086 # flags and K3S_ETCD_BACKUP_JAVA_OPTS hold several options
    "$java" $flags -XX:ArchiveClassesAtExit="$archive.$$" -Xlog:cds=off -Xlog:cds+dynamic=off \
      $K3S_ETCD_BACKUP_JAVA_OPTS -jar "$self" "$@"
    status=$?
    [ -f "$archive.$$" ] && mv -f "$archive.$$" "$archive"
    exit "$status"
  fi
fi
# shellcheck disable=SC2086 # flags and K3S_ETCD_BACKUP_JAVA_OPTS hold several options
exec "$java" $flags $K3S_ETCD_BACKUP_JAVA_OPTS -jar "$self" "$@"
