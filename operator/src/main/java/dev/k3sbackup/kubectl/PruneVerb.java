package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.OutputOption;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.retention.RetentionPolicy;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune}: K3s's retention, on the EtcdSnapshot resources, on demand. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Delete the succeeded snapshots named <--name>-* beyond the N newest (local "
        + "copies counted per node, S3 copies per folder, as K3s counts); the newest succeeded "
        + "snapshot is never deleted.")
final class PruneVerb extends PluginVerb {

  @Option(names = {"--name", "--etcd-snapshot-name"},
      defaultValue = SnapshotName.ON_DEMAND_PREFIX,
      description = "Name prefix to prune (default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = {"--snapshot-retention", "--etcd-snapshot-retention"}, defaultValue = "5",
      paramLabel = "N", description = "How many to keep (default: ${DEFAULT-VALUE})")
  int retention;

  @Mixin
  WaitOptions wait;

  @Mixin
  OutputOption output;

  /**
   * What {@code -o json|yaml} prints.
   *
   * @param prefix the name prefix counted
   * @param retention how many were kept in each store
   * @param deleted the EtcdSnapshots deleted
   * @param kept those beyond retention somewhere that stayed, with why
   */
  record Result(String prefix, int retention, List<String> deleted, List<PrunePlan.Kept> kept) {}

  @Override
  int run(BackupApi api) {
    RetentionPolicy.fromFlags(name, retention); // refuse bad flags before any request
    wait.timeout();
    PrunePlan plan = PrunePlan.of(api.snapshots(), name, retention, context().clock().instant());
    PrintWriter out = out();
    boolean table = output.table();
    new SnapshotDeleter(api, table ? out : new PrintWriter(PrintWriter.nullWriter()))
        .delete(plan.delete(), wait.wait ? waiter(wait) : null);
    if (table) {
      for (PrunePlan.Kept k : plan.kept()) {
        out.printf("Kept %s (EtcdSnapshot %s) beyond retention: %s%n", k.name(), k.resource(),
            k.reason());
      }
      if (plan.delete().isEmpty() && plan.kept().isEmpty()) {
        out.printf("Nothing to prune: at most %d succeeded snapshots named %s-* in each store%n",
            retention, name);
      }
    } else {
      out.print(output.render(new Result(name, retention,
          plan.delete().stream().map(s -> s.getMetadata().getName()).toList(), plan.kept())));
    }
    out.flush();
    return 0;
  }
}
