#!/bin/sh
# k3s-etcd-backup: the CLI (`etcd-snapshot save|ls|delete|prune|verify`) and the operator, one
# file. These lines start Java on the jar appended below them (zip readers find an archive from its
# end). Needs Java 17+.
# The JVM flags are the ones the image's entrypoint gives (operator/pom.xml, Jib), measured in
# docs/benchmarks.md: the serial collector and a small initial heap keep a 1 GiB save under
# 256 MiB of memory (a default JVM on a large host starts with a heap of 1/64 of its RAM and
# touches it all); the heap may still grow to 192 MiB when needed.
java=java
[ -n "$JAVA_HOME" ] && java="$JAVA_HOME/bin/java"
if ! command -v "$java" >/dev/null 2>&1; then
  echo "k3s-etcd-backup: needs Java 17 or later: put java on PATH or set JAVA_HOME" >&2
  exit 1
fi
# shellcheck disable=SC2086 # K3S_ETCD_BACKUP_JAVA_OPTS holds several options
exec "$java" -XX:+UseSerialGC -Xms16m -Xmx192m $K3S_ETCD_BACKUP_JAVA_OPTS -jar "$0" "$@"
