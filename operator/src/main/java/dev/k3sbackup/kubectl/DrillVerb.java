package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.v1alpha1.DrillPhase;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.SnapshotDrill;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.cli.OutputOption;
import java.util.HashMap;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code drill NAME}: asks the operator to restore-drill a succeeded EtcdSnapshot (a new value of
 * its {@link Annotations#DRILL} annotation, the time now) and waits for {@code status.drill}.
 */
@Command(name = "drill", mixinStandardHelpOptions = true,
    description = "Prove a snapshot restorable: the operator restores it into a throwaway etcd "
        + "on its node (never the cluster's), starts it, reads the revision and the keys per "
        + "resource type back, and removes it; waits for the result.")
final class DrillVerb extends PluginVerb {

  @Parameters(index = "0", paramLabel = "NAME",
      description = "The EtcdSnapshot, or its snapshot file's name as ls shows it")
  String name;

  @Mixin
  WaitOptions wait;

  @Mixin
  OutputOption output;

  @Override
  int run(BackupApi api) {
    wait.timeout();
    EtcdSnapshot snapshot = api.oneSnapshot(name, "no drill was asked for");
    String resource = snapshot.getMetadata().getName();
    if (snapshot.getStatus() == null || snapshot.getStatus().phase != SnapshotPhase.Succeeded
        && snapshot.getStatus().snapshotName == null) {
      throw SnapshotException.badInput("EtcdSnapshot " + resource + " has not succeeded: only "
          + "a saved snapshot can be drilled");
    }
    String request = context().clock().instant().toString();
    api.client().resource(snapshot).edit(s -> {
      if (s.getMetadata().getAnnotations() == null) {
        s.getMetadata().setAnnotations(new HashMap<>());
      }
      s.getMetadata().getAnnotations().put(Annotations.DRILL, request);
      return s;
    });
    if (!wait.wait) {
      print(output, snapshot, "Asked for a drill of EtcdSnapshot " + resource + " ("
          + Annotations.DRILL + "=" + request + "): follow it with kubectl etcdsnapshot "
          + "describe " + resource + " -n " + api.namespace());
      return 0;
    }
    EtcdSnapshot done = waiter(wait).until(() -> api.snapshot(resource),
        x -> x == null || drillOf(x, request) != null
            && drillOf(x, request).phaseOrPending().terminal(),
        x -> { },
        x -> "the drill of EtcdSnapshot " + resource + " is still " + (x == null
            || drillOf(x, request) == null ? "Pending" : drillOf(x, request).phaseOrPending()));
    if (done == null) {
      throw SnapshotException.failed("EtcdSnapshot " + resource + " was deleted while we waited",
          null);
    }
    SnapshotDrill d = drillOf(done, request);
    if (d.phase != DrillPhase.Passed) {
      throw SnapshotException.failed("EtcdSnapshot " + resource + " failed its drill: "
          + d.message, null);
    }
    print(output, d, "Drill passed: EtcdSnapshot " + resource + " restored into a throwaway "
        + "etcd on " + d.node + " and read back in " + d.seconds + " s\n  revision "
        + d.revision + ", " + d.keys + " keys under /registry/ in " + d.resourceTypes
        + " resource types\n  " + d.keyCounts.stream().map(c -> c.resource + " " + c.count)
            .collect(Collectors.joining(", ")));
    return 0;
  }

  /** The snapshot's drill answering {@code request}, or null. */
  private static SnapshotDrill drillOf(EtcdSnapshot s, String request) {
    SnapshotDrill d = s.getStatus() == null ? null : s.getStatus().drill;
    return d != null && request.equals(d.request) ? d : null;
  }
}
