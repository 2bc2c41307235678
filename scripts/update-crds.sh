#!/usr/bin/env bash
# Regenerates crds/ from the Java classes in operator/src/main/java/dev/k3sbackup/api/, and the
# Helm chart's copy of them (scripts/update-chart.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl operator process-classes
rm -f crds/*.yml
cp operator/target/crds/*.yml crds/
bash scripts/update-chart.sh >/dev/null
git status --short crds/ charts/ deploy/k3s-manifests/
