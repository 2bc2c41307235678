package dev.k3sbackup.status;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import io.fabric8.kubernetes.api.model.Condition;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether the file and the object behind a Succeeded snapshot of ours are still there, as the
 * node scans find them: the condition {@value #TYPE} (True while every copy is there; False with
 * reason {@value #FILE_MISSING}, {@value #OBJECT_MISSING} or {@value #ALL_MISSING}). A copy can
 * vanish by hand, by a disk replaced, or by K3s's own retention when it shares K3s's prefix; a
 * restore of a snapshot without a copy to restore from is refused in preflight with this
 * condition's message.
 */
public final class SnapshotAvailability {

  public static final String TYPE = "Available";
  public static final String PRESENT = "Present";
  public static final String FILE_MISSING = "FileMissing";
  public static final String OBJECT_MISSING = "ObjectMissing";
  public static final String ALL_MISSING = "FileAndObjectMissing";

  /** The two kinds of copy. */
  public enum Copy {
    LOCAL,
    S3
  }

  private SnapshotAvailability() {}

  /** Whether the scans found {@code copy} of {@code status}'s snapshot gone. */
  public static boolean missing(EtcdSnapshotStatus status, Copy copy) {
    String reason = Conditions.find(status.conditions, TYPE).filter(c -> "False"
        .equals(c.getStatus())).map(Condition::getReason).orElse(PRESENT);
    return ALL_MISSING.equals(reason)
        || (copy == Copy.LOCAL ? FILE_MISSING : OBJECT_MISSING).equals(reason);
  }

  /** The condition's message while a copy is missing. */
  public static Optional<String> missingMessage(EtcdSnapshotStatus status) {
    return Conditions.find(status.conditions, TYPE).filter(c -> "False".equals(c.getStatus()))
        .map(Condition::getMessage);
  }

  /**
   * Records what a scan found of {@code copy}; the snapshot's other copy keeps its state.
   *
   * @return the new message when the condition changed (to write and to tell in an Event)
   */
  public static Optional<String> record(EtcdSnapshot snapshot, Copy copy, boolean present,
      Instant now) {
    EtcdSnapshotStatus s = snapshot.getStatus();
    boolean localGone = copy == Copy.LOCAL ? !present : missing(s, Copy.LOCAL);
    boolean s3Gone = copy == Copy.S3 ? !present : missing(s, Copy.S3);
    String reason = localGone && s3Gone ? ALL_MISSING : localGone ? FILE_MISSING
        : s3Gone ? OBJECT_MISSING : PRESENT;
    Optional<Condition> old = Conditions.find(s.conditions, TYPE);
    if (old.isPresent() && reason.equals(old.get().getReason())) {
      return Optional.empty();
    }
    if (old.isEmpty() && reason.equals(PRESENT)) {
      Conditions.set(s.conditions, TYPE, true, PRESENT, "every copy was found by the last scan",
          snapshot.getMetadata().getGeneration(), now);
      return Optional.empty(); // first sight: nothing to tell
    }
    String message = switch (reason) {
      case PRESENT -> "every copy is there again";
      case FILE_MISSING -> "the file " + s.localPath + " on node " + s.node + " is gone"
          + (s.s3 != null && !s3Gone ? " (the S3 copy " + s.s3.location + " is still there)" : "");
      case OBJECT_MISSING -> "the S3 object " + (s.s3 == null ? "" : s.s3.location) + " is gone"
          + (s.localPath != null && !localGone ? " (the file on node " + s.node
              + " is still there)" : "");
      default -> "the file " + s.localPath + " on node " + s.node + " and the S3 object "
          + (s.s3 == null ? "" : s.s3.location) + " are both gone";
    };
    if (!reason.equals(PRESENT)) {
      message += ": deleted by hand, lost with the disk, or by K3s's own retention (which deletes "
          + "every file and object whose name starts with its prefix); a restore cannot use "
          + (reason.equals(ALL_MISSING) ? "this snapshot" : "the missing copy");
    }
    Conditions.set(s.conditions, TYPE, reason.equals(PRESENT), reason, message,
        snapshot.getMetadata().getGeneration(), now);
    return Optional.of(message);
  }
}
