package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune}: K3s's retention, run on demand. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Delete snapshots with the --name prefix beyond the N newest, local and S3 "
        + "counted separately; the newest snapshot that verifies is always kept.")
final class PruneCommand extends StoreCommand {

  @Option(names = {"--name", "--etcd-snapshot-name"}, defaultValue = SnapshotName.K3S_ON_DEMAND_PREFIX,
      description = "Name prefix to prune (default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = {"--snapshot-retention", "--etcd-snapshot-retention"}, defaultValue = "5",
      description = "How many to keep (default: ${DEFAULT-VALUE})")
  int retention;

  @Mixin
  OutputOption output;

  @Override
  public Integer call() {
    SnapshotCatalog.Pruned pruned;
    try (SnapshotCatalog catalog = catalog()) {
      pruned = catalog.prune(name, retention);
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
