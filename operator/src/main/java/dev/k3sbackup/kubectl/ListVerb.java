package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.OutputFormat;
import dev.k3sbackup.cli.OutputOption;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ls} / {@code list} / {@code l}: K3s's table, from the EtcdSnapshot resources. */
@Command(name = "ls", aliases = {"list", "l"}, mixinStandardHelpOptions = true,
    description = "List the EtcdSnapshots: K3s's table (one row per stored copy, oldest "
        + "first) with each one's phase and resource name.")
final class ListVerb extends PluginVerb {

  static final List<String> HEADER =
      List.of("Name", "Location", "Size", "Created", "Phase", "Resource");

  @Mixin
  OutputOption output;

  @Override
  int run(BackupApi api) {
    // the table needs only what `kubectl get` shows; JSON and YAML show everything
    List<SnapshotView> views = (output.table() ? api.snapshotSummaries() : api.snapshots())
        .stream().map(SnapshotView::of)
        .sorted(SnapshotView.OLDEST_FIRST).toList();
    PrintWriter out = out();
    if (!output.table()) {
      out.print(output.render(views));
    } else if (views.isEmpty()) {
      err().println("No EtcdSnapshots in namespace " + api.namespace()
          + " (take one with: kubectl etcdsnapshot save)");
    } else {
      out.print(OutputFormat.table(HEADER,
          views.stream().flatMap(v -> v.rows().stream()).toList()));
    }
    out.flush();
    return 0;
  }
}
