package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code prune}: K3s's retention, run on demand. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Delete snapshots with the --name prefix beyond the N newest, local and S3 "
        + "counted separately; the newest snapshot that verifies is always kept.")
final class PruneCommand extends StoreCommand {

  /** K3s's {@code --snapshot-retention} default. */
  static final int DEFAULT_RETENTION = 5;

  @Mixin
  OutputOption output;

  @Override
  Integer execute() {
    String name = store.name;
    int retention = store.retention != null ? store.retention : DEFAULT_RETENTION;
    // K3s: S3 keeps --s3-retention when given, else as many as the local dir
    int s3Retention = store.s3Retention != null ? store.s3Retention : retention;
    RetentionPolicy.fromFlags(name, retention);
    RetentionPolicy.fromFlags(name, s3Retention, "--s3-retention");
    SnapshotCatalog.Pruned pruned;
    try (SnapshotCatalog catalog = catalog()) {
      pruned = catalog.prune(name, retention, s3Retention);
    }
    PrintWriter out = out();
    if (output.table()) {
      for (StoredSnapshot s : pruned.deleted()) {
        out.printf("Deleted %s%n", s.location());
      }
      for (StoredSnapshot s : pruned.spared()) {
        out.printf("Kept %s beyond retention: it is the newest snapshot that verifies%n",
            s.location());
      }
      if (pruned.deleted().isEmpty() && pruned.spared().isEmpty()) {
        out.printf("Nothing to prune: at most %d snapshots named %s-* in each store%n",
            retention, name);
      }
    } else {
      out.print(output.render(pruned));
    }
    out.flush();
    result(pruned);
    return 0;
  }
}
