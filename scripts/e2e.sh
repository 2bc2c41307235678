#!/usr/bin/env bash
# Runs the end-to-end tests (e2e/) on a real K3s with embedded etcd.
#
#   scripts/e2e.sh                          # K3s in Docker through Testcontainers: builds the
#                                           # image (scripts/build-image.sh) and imports it there
#   scripts/e2e.sh --kubeconfig PATH        # an existing K3s cluster, the image already on its
#                                           # nodes or in a registry (scripts/install.sh)
#
# Options:
#   --kubeconfig PATH  run against that cluster instead of a container
#   --image N:T        the operator image the cluster runs (default k3s-etcd-backup:0.1.0)
#   --allow-restore    with --kubeconfig: also run the restore test, which rolls the whole
#                      cluster back to a snapshot it takes
#   --skip-build       use the image tarball built before (Docker only)
# Anything after -- goes to Maven (e.g. -- -Dk3s.image=rancher/k3s:v1.32.1-k3s1).
# Where there is no Docker engine and no --kubeconfig, the tests skip themselves and say so in
# one line.
set -euo pipefail
cd "$(dirname "$0")/.."

kubeconfig=""
image=""
allow_restore=false
skip_build=false
mvn_extra=()
while (($#)); do
  case "$1" in
    --kubeconfig) kubeconfig="${2:?--kubeconfig needs a file}"; shift 2 ;;
    --kubeconfig=*) kubeconfig="${1#*=}"; shift ;;
    --image) image="${2:?--image needs NAME:TAG}"; shift 2 ;;
    --image=*) image="${1#*=}"; shift ;;
    --allow-restore) allow_restore=true; shift ;;
    --skip-build) skip_build=true; shift ;;
    --) shift; mvn_extra=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

props=(-Dimage.tarball="$PWD/operator/target/k3s-etcd-backup-image.tar")
if [ -n "$kubeconfig" ]; then
  [ -f "$kubeconfig" ] || { echo "e2e: --kubeconfig $kubeconfig: no such file" >&2; exit 2; }
  props+=(-De2e.kubeconfig="$(cd "$(dirname "$kubeconfig")" && pwd)/$(basename "$kubeconfig")")
  ! $allow_restore || props+=(-De2e.allowRestore=true)
elif ! $skip_build; then
  args=()
  [ -z "$image" ] || args+=(--image "$image")
  bash scripts/build-image.sh ${args[@]+"${args[@]}"}
fi
[ -z "$image" ] || props+=(-De2e.image="$image")

# The operator module is built (the e2e tests use its classes) but runs none of its own tests;
# a summary left by an earlier run of them would fail its verify step.
rm -f operator/target/failsafe-reports/failsafe-summary.xml
exec mvn -B -ntp -pl e2e -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test='**/e2e/*IT' -Dfailsafe.failIfNoSpecifiedTests=false "${props[@]}" \
  ${mvn_extra[@]+"${mvn_extra[@]}"}
