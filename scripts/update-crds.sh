#!/usr/bin/env bash
# Regenerates crds/ from the Java classes in operator/src/main/java/dev/k3sbackup/api/.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl operator process-classes
rm -f crds/*.yml
cp operator/target/crds/*.yml crds/
git status --short crds/
