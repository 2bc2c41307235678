#!/usr/bin/env bash
# Regenerates deploy/k3s-etcd-backup.yaml, the plain manifest for `kubectl apply -f`, from
# config/default (kustomize, as built into kubectl). InstallManifestIT fails when it drifts.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p deploy
{
  echo "# Generated from config/default by scripts/update-deploy.sh: edit config/, not this file."
  echo "# kubectl apply -f deploy/k3s-etcd-backup.yaml"
  kubectl kustomize config/default
} > deploy/k3s-etcd-backup.yaml
git status --short deploy/
