package dev.k3sbackup.api.v1alpha1;

/**
 * Where an {@code EtcdRestore} is. Transitions:
 *
 * <ul>
 *   <li>{@link #Pending} → Preflight: always, on first sight.
 *   <li>{@link #Preflight}: checks, stopping nothing, that the resource is confirmed, the
 *       snapshot succeeded and has a recorded sha256, the server and the peers are Ready etcd
 *       server nodes with an address, and no other restore or snapshot is running; then, on the
 *       server node, that the file is there (fetched from S3 when it is only there), that etcd's
 *       trailer and the sha256 verify, and that the node's server token is the one the snapshot
 *       was taken with. → PlanReady (dry run, after the API checks), → Failed (a check failed:
 *       nothing was touched), → SafetySnapshot (confirmed, checks passed), → Restoring (the
 *       same, with spec.safetySnapshot: false).
 *   <li>{@link #SafetySnapshot}: a snapshot of the current state is taken on the server node.
 *       → Restoring, → Failed (nothing was touched).
 *   <li>{@link #PlanReady}: a dry run; the plan is in status. Terminal.
 *   <li>{@link #Restoring}: the node agents run the plan, one Job per node. → Succeeded or
 *       Failed. A resource recreated from the nodes' journals after the etcd rollback (annotated
 *       k3sbackup.dev/recovered-from-journal) enters here, or directly its terminal phase.
 *   <li>{@link #Succeeded}: the cluster runs from the snapshot. Terminal.
 *   <li>{@link #Failed}: the message says what happened and what to do. Terminal.
 * </ul>
 */
public enum RestorePhase {
  Pending,
  Preflight,
  PlanReady,
  SafetySnapshot,
  Restoring,
  Succeeded,
  Failed;

  public boolean terminal() {
    return this == PlanReady || this == Succeeded || this == Failed;
  }
}
