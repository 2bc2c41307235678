package dev.k3sbackup.api.v1alpha1;

/**
 * Where an {@code EtcdRestore} is. Transitions:
 *
 * <ul>
 *   <li>{@link #Pending} → Preflight: always, on first sight.
 *   <li>{@link #Preflight}: checks, changing nothing, that the resource is confirmed, the
 *       snapshot exists, succeeded and has a recorded sha256, its node and the peers are Ready
 *       etcd server nodes, and no other restore or snapshot is running. → PlanReady (dry run),
 *       → Failed (a check failed: nothing was touched), → SafetySnapshot (confirmed, checks
 *       passed), → Restoring (the same, with spec.safetySnapshot: false).
 *   <li>{@link #SafetySnapshot}: a snapshot of the current state is taken on the server node.
 *       → Restoring, → Failed (nothing was touched).
 *   <li>{@link #PlanReady}: a dry run; the plan is in status. Terminal.
 *   <li>{@link #Restoring}: the node agents run the plan. → Succeeded or Failed.
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
