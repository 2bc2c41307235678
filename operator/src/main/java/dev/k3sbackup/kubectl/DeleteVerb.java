package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.base.SnapshotException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code delete NAME...}: deletes EtcdSnapshots, and with them their files and objects. */
@Command(name = "delete", aliases = {"rm"}, mixinStandardHelpOptions = true,
    description = "Delete snapshots: their EtcdSnapshots, whose finalizer removes the file and "
        + "the S3 object. Names are resource names or snapshot names as 'ls' shows them. "
        + "An unknown name deletes nothing.")
final class DeleteVerb extends PluginVerb {

  @Parameters(arity = "1..*", paramLabel = "NAME", description = "Snapshot or resource names")
  List<String> names;

  @Mixin
  WaitOptions wait;

  @Override
  int run(BackupApi api) {
    wait.timeout();
    Map<String, EtcdSnapshot> found = new LinkedHashMap<>();
    List<String> unknown = new ArrayList<>();
    for (String name : names) {
      List<EtcdSnapshot> matches = api.findSnapshots(name);
      if (matches.isEmpty()) {
        unknown.add(name);
      }
      matches.forEach(s -> found.put(s.getMetadata().getName(), s));
    }
    if (!unknown.isEmpty()) {
      throw SnapshotException.badInput("no EtcdSnapshot named " + String.join(", ", unknown)
          + " in namespace " + api.namespace() + " (neither a resource nor a snapshot name); "
          + "nothing was deleted: check the names with kubectl etcdsnapshot ls -n "
          + api.namespace());
    }
    new SnapshotDeleter(api, out()).delete(List.copyOf(found.values()),
        wait.wait ? waiter(wait) : null);
    out().flush();
    return 0;
  }
}
