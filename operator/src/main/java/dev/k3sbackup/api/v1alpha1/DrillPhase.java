package dev.k3sbackup.api.v1alpha1;

/**
 * Where a snapshot's restore drill is.
 *
 * <ul>
 *   <li>{@link #Pending}: asked for (the {@code k3sbackup.dev/drill} annotation, or the
 *       schedule's {@code drill.every}); waiting for a Ready node to run it on. Goes to Running.
 *   <li>{@link #Running}: the drill's Job runs; goes to Passed or Failed.
 *   <li>{@link #Passed}: restored into a throwaway etcd, served and read back. Terminal for
 *       this request; a new annotation value asks again.
 *   <li>{@link #Failed}: not restorable, or the drill could not run; the message says which.
 *       Terminal for this request.
 * </ul>
 */
public enum DrillPhase {
  Pending,
  Running,
  Passed,
  Failed;

  public boolean terminal() {
    return this == Passed || this == Failed;
  }
}
