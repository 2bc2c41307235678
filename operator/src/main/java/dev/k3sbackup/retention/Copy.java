package dev.k3sbackup.retention;

import java.time.Instant;

/**
 * One copy of a snapshot in one store, as retention sees it.
 *
 * @param snapshot what the caller knows the snapshot by (a stored file, a resource...)
 * @param store where this copy is counted
 * @param name the snapshot's file name
 * @param takenAt the time in its name
 * @param location where the copy is ({@code file://...} or {@code s3://...}), for messages
 * @param pinned whether the snapshot is pinned ({@code k3sbackup.dev/keep: "true"}): kept forever
 * @param restorable whether the snapshot passed a restore drill
 * @param <S> the caller's snapshot type
 */
public record Copy<S>(S snapshot, Store store, String name, Instant takenAt, String location,
    boolean pinned, boolean restorable) {

  /** A copy that is neither pinned nor known to be restorable (the node CLI's files). */
  public Copy(S snapshot, Store store, String name, Instant takenAt, String location) {
    this(snapshot, store, name, takenAt, location, false, false);
  }
}
