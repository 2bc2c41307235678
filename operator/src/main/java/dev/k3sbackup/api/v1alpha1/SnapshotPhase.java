package dev.k3sbackup.api.v1alpha1;

/**
 * Where an {@code EtcdSnapshot} is.
 *
 * <ul>
 *   <li>{@link #Pending}: accepted, waiting for its node and Job; goes to Running, or to Failed
 *       when its input is refused.
 *   <li>{@link #Running}: the Job is streaming the snapshot; goes to Succeeded or, after the
 *       retries, to Failed.
 *   <li>{@link #Succeeded}: the snapshot is stored and verified. Terminal.
 *   <li>{@link #Failed}: given up; the message says why and what to do. Terminal.
 * </ul>
 */
public enum SnapshotPhase {
  Pending,
  Running,
  Succeeded,
  Failed;

  public boolean terminal() {
    return this == Succeeded || this == Failed;
  }
}
