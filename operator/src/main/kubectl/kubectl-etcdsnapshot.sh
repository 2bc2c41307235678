#!/bin/sh
# kubectl-etcdsnapshot: the k3s-etcd-backup kubectl plugin, one file. These lines start Java on
# the jar appended below them (zip readers find an archive from its end). Needs Java 17+.
java=java
[ -n "$JAVA_HOME" ] && java="$JAVA_HOME/bin/java"
if ! command -v "$java" >/dev/null 2>&1; then
  echo "kubectl-etcdsnapshot: needs Java 17 or later: put java on PATH or set JAVA_HOME" >&2
  exit 1
fi
# shellcheck disable=SC2086 # KUBECTL_ETCDSNAPSHOT_JAVA_OPTS holds several options
exec "$java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $KUBECTL_ETCDSNAPSHOT_JAVA_OPTS \
  -jar "$0" kubectl-etcdsnapshot "$@"
