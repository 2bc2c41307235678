package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.cli.OutputOption;
import dev.k3sbackup.base.SnapshotException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code describe NAME}: one snapshot or restore, readable. */
@Command(name = "describe", mixinStandardHelpOptions = true,
    description = "Show one EtcdSnapshot (by resource or snapshot name) or EtcdRestore: "
        + "status, conditions, and for a restore its plan and phase history.")
final class DescribeVerb extends PluginVerb {

  @Parameters(index = "0", paramLabel = "NAME",
      description = "An EtcdSnapshot or EtcdRestore name, or a snapshot name as 'ls' shows it")
  String name;

  @Mixin
  OutputOption output;

  @Override
  int run(BackupApi api) {
    List<HasMetadata> found = new ArrayList<>(api.findSnapshots(name));
    EtcdRestore restore = api.restore(name);
    if (restore != null) {
      found.add(restore);
    }
    if (found.isEmpty()) {
      throw SnapshotException.badInput("no EtcdSnapshot or EtcdRestore named " + name
          + " in namespace " + api.namespace() + ": list snapshots with kubectl etcdsnapshot ls "
          + "-n " + api.namespace() + ", restores with kubectl get erestore -n "
          + api.namespace());
    }
    StringBuilder text = new StringBuilder();
    for (HasMetadata r : found) {
      if (!output.table()) {
        text.append(output.render(r));
      } else {
        text.append(text.length() == 0 ? "" : "\n").append(r instanceof EtcdSnapshot s
            ? Describer.snapshot(s) : Describer.restore((EtcdRestore) r));
      }
    }
    out().print(text);
    out().flush();
    return 0;
  }
}
