#!/usr/bin/env bash
# Regenerates the plain manifests for `kubectl apply -f` from config/ (kustomize, as built into
# kubectl): deploy/k3s-etcd-backup.yaml from config/default (CRDs, RBAC, the operator) and
# deploy/default-schedule.yaml from config/default-schedule (applied once the CRDs are
# established). InstallManifestIT fails when either drifts.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p deploy
render() {
  local from=$1 to=$2 apply=$3
  {
    echo "# Generated from $from by scripts/update-deploy.sh: edit config/, not this file."
    echo "# $apply"
    kubectl kustomize "$from"
  } > "$to"
}
render config/default deploy/k3s-etcd-backup.yaml "kubectl apply -f deploy/k3s-etcd-backup.yaml"
render config/default-schedule deploy/default-schedule.yaml \
  "kubectl apply -f deploy/default-schedule.yaml (after deploy/k3s-etcd-backup.yaml: its CRDs first)"
git status --short deploy/
