package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import java.io.PrintWriter;
import java.util.List;

/**
 * Deletes EtcdSnapshots and, when asked, waits until they are gone: the operator's finalizer
 * removes the file (through a Job on its node) and the S3 object first, so gone means the
 * copies are deleted.
 */
final class SnapshotDeleter {

  private final BackupApi api;
  private final PrintWriter out;

  SnapshotDeleter(BackupApi api, PrintWriter out) {
    this.api = api;
    this.out = out;
  }

  /** Deletes them all, then waits for each (unless {@code waiter} is null). */
  void delete(List<EtcdSnapshot> snapshots, Waiter waiter) {
    for (EtcdSnapshot s : snapshots) {
      api.client().resource(s).delete();
    }
    for (EtcdSnapshot s : snapshots) {
      SnapshotView v = SnapshotView.of(s);
      String what = (v.name() == null ? "" : v.name() + " ") + "(EtcdSnapshot "
          + api.namespace() + "/" + v.resource() + ")";
      if (waiter == null) {
        out.println("Deleting " + what);
        continue;
      }
      waiter.until(() -> api.snapshot(v.resource()), x -> x == null, x -> { },
          x -> "EtcdSnapshot " + api.namespace() + "/" + v.resource() + " is still being "
              + "deleted (its finalizer removes the file and S3 object; kubectl etcdsnapshot "
              + "describe " + v.resource() + " shows why it waits)");
      out.println("Deleted " + what + copies(v));
      out.flush();
    }
  }

  private static String copies(SnapshotView v) {
    List<String> locations = v.copies().stream().map(c -> c.location()).toList();
    return locations.isEmpty() ? "" : ": " + String.join(", ", locations);
  }
}
