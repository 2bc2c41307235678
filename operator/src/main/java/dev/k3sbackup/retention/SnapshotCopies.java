package dev.k3sbackup.retention;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.base.SnapshotName;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The stored copies an {@code EtcdSnapshot}'s status names, as retention counts them. */
public final class SnapshotCopies {

  private SnapshotCopies() {}

  /** The copies of {@code snapshot}: its file on its node and its S3 object, as far as known. */
  public static List<Copy<EtcdSnapshot>> of(EtcdSnapshot snapshot) {
    EtcdSnapshotStatus st = snapshot.getStatus() == null ? new EtcdSnapshotStatus()
        : snapshot.getStatus();
    boolean restorable = st.drill != null && st.drill.phase == DrillPhase.Passed;
    return of(snapshot, st.snapshotName, st.node, st.localPath,
        st.s3 == null ? null : st.s3.location, takenAt(snapshot)).stream()
        .map(c -> new Copy<>(c.snapshot(), c.store(), c.name(), c.takenAt(), c.location(),
            Annotations.pinned(snapshot), restorable)).toList();
  }

  /**
   * The copies of a snapshot called {@code name}: its file {@code localPath} on {@code node} and
   * its object at {@code s3Location}, each when not null.
   */
  public static <S> List<Copy<S>> of(S snapshot, String name, String node, String localPath,
      String s3Location, Instant takenAt) {
    List<Copy<S>> copies = new ArrayList<>();
    if (localPath != null) {
      copies.add(new Copy<>(snapshot, Store.local(node), name, takenAt, "file://" + localPath));
    }
    if (s3Location != null) {
      String folder = name != null && s3Location.endsWith(name)
          ? s3Location.substring(0, s3Location.length() - name.length()) : s3Location;
      copies.add(new Copy<>(snapshot, Store.s3(folder), name, takenAt, s3Location));
    }
    return copies;
  }

  /** When it was taken: the time in its name, else when it started, else when it was created. */
  public static Instant takenAt(EtcdSnapshot s) {
    EtcdSnapshotStatus st = s.getStatus() == null ? new EtcdSnapshotStatus() : s.getStatus();
    Instant taken = st.snapshotName == null ? null
        : SnapshotName.parse(st.snapshotName).map(SnapshotName.Parsed::createdAt).orElse(null);
    if (taken == null) {
      taken = instant(st.startTime);
    }
    return taken != null ? taken : instant(s.getMetadata().getCreationTimestamp());
  }

  private static Instant instant(String rfc3339) {
    try {
      return rfc3339 == null ? null : Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
