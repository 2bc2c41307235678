package dev.k3sbackup.restore;

import java.nio.file.Path;

/**
 * Turns the verified snapshot into the file K3s's reset is given, before anything stops: in
 * production a copy whose etcd revision is bumped far past any revision a client saw and marked
 * compacted ({@link RevisionBump}), so that every watch from before the restore relists and sees
 * the rollback.
 */
@FunctionalInterface
public interface SnapshotPreparer {

  /** What was made: the file to reset from, and what to journal about it. */
  record Prepared(Path file, String message) {}

  Prepared prepare(Path snapshot);

  /** Hands the snapshot to the reset as it is (no revision bump: tests of the steps). */
  SnapshotPreparer AS_IS = snapshot -> new Prepared(snapshot, "the snapshot is reset from as it "
      + "is (no revision bump)");

  /**
   * {@link RevisionBump} into {@code workDir}, past {@code revisionBefore} when it is known.
   */
  static SnapshotPreparer revisionBump(RevisionBump bump, Path workDir,
      java.util.OptionalLong revisionBefore) {
    return snapshot -> {
      RevisionBump.Result r = bump.bump(snapshot, workDir, revisionBefore);
      return new Prepared(r.file(), "a copy with its etcd revision bumped from "
          + r.snapshotRevision() + " to " + r.revision() + " and marked compacted (every watch "
          + "from before the restore relists and sees the rollback): " + r.file() + ", sha256 "
          + r.sha256());
    };
  }
}
