package dev.k3sbackup.kubectl;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.cli.OutputOption;
import dev.k3sbackup.base.SnapshotException;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code restore SNAPSHOT}: creates an EtcdRestore (K3s's {@code --cluster-reset
 * --cluster-reset-restore-path}, run by the operator) and follows its phases.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restore the cluster's etcd from a snapshot: create an EtcdRestore and "
        + "follow its phases until it is done. The cluster goes back to the snapshot's time: "
        + "everything written since is lost, so a real restore needs --yes; --dry-run shows "
        + "the plan and changes nothing."})
final class RestoreVerb extends PluginVerb {

  @Parameters(index = "0", paramLabel = "SNAPSHOT",
      description = "The EtcdSnapshot: its resource name or its snapshot name as 'ls' shows it")
  String snapshot;

  @Option(names = "--dry-run", description = "Check and plan only: show the plan, change nothing")
  boolean dryRun;

  @Option(names = {"--yes", "--confirm", "-y"},
      description = "Confirm the restore: the cluster's state goes back to the snapshot's time")
  boolean yes;

  @Option(names = "--peers", split = ",", paramLabel = "NODE",
      description = "The other etcd server nodes, which stop, move their data aside and "
          + "rejoin (default: every other etcd server node)")
  List<String> peers;

  @Option(names = "--single-server",
      description = "No peers: restore only the snapshot's node")
  boolean singleServer;

  @Option(names = "--server", paramLabel = "NODE",
      description = "The node that resets (K3s's S1; default: the node holding the file, or "
          + "for a snapshot only in S3 the first etcd node); a snapshot in S3 is fetched there")
  String server;

  @Option(names = "--no-safety-snapshot",
      description = "Do not take a snapshot of the current state first")
  boolean noSafetySnapshot;

  @Option(names = "--decrypt-identity-secret", paramLabel = "SECRET",
      description = "For an encrypted (age) snapshot: the Secret, in the operator's namespace, "
          + "whose key 'identity' holds the age identity (spec.decryption.identitySecret)")
  String decryptIdentitySecret;

  @Option(names = "--restore-name", paramLabel = "NAME",
      description = "Name of the EtcdRestore (default: restore-<unix seconds>)")
  String restoreName;

  @Mixin
  WaitOptions wait;

  @Mixin
  OutputOption output;

  @Override
  int run(BackupApi api) {
    if (peers != null && singleServer) {
      throw SnapshotException.badInput("--peers and --single-server contradict each other: "
          + "give one");
    }
    wait.timeout();
    BackupApi.requireResourceName("--restore-name", restoreName);
    EtcdSnapshot source = source(api);
    SnapshotView v = SnapshotView.of(source);
    if (!dryRun && !yes) {
      throw SnapshotException.badInput("a restore rolls the whole cluster back to snapshot "
          + v.name() + " (taken " + v.createdAt() + ", etcd revision " + v.etcdRevision()
          + "): everything written since is lost. Nothing was created: add --yes to restore, "
          + "or --dry-run to see the plan first");
    }
    EtcdRestore r = new EtcdRestore();
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = v.resource();
    r.getSpec().dryRun = dryRun ? true : null;
    r.getSpec().confirm = yes && !dryRun ? true : null;
    r.getSpec().safetySnapshot = noSafetySnapshot ? false : null;
    r.getSpec().server = server;
    if (decryptIdentitySecret != null) {
      r.getSpec().decryption = new dev.k3sbackup.api.v1alpha1.SnapshotDecryption();
      r.getSpec().decryption.identitySecret = decryptIdentitySecret;
    }
    r.getSpec().peers = singleServer ? List.of()
        : peers == null ? null : peers.stream().filter(p -> !p.isBlank()).toList();
    EtcdRestore created = api.createUnique(r, restoreName != null ? restoreName
        : "restore-" + context().clock().instant().getEpochSecond());
    String name = created.getMetadata().getName();
    String where = api.namespace() + "/" + name;
    if (!wait.wait) {
      print(output, created, "Created EtcdRestore " + where + " from " + v.resource()
          + ": follow it with kubectl etcdsnapshot describe " + name + " -n " + api.namespace());
      return 0;
    }
    RestoreProgress progress = new RestoreProgress(err());
    EtcdRestore done = waiter(wait).until(() -> api.restore(name),
        // a restore vanishes with the rollback and comes back recreated from the journals
        x -> x != null && x.getStatus() != null && x.getStatus().phaseOrPending().terminal(),
        progress,
        x -> x == null ? "EtcdRestore " + where + " has not been recreated from the nodes' "
            + "restore journals yet (the operator reads them every re-check interval)"
            : "EtcdRestore " + where + " is still in phase "
            + (x.getStatus() == null ? "Pending" : x.getStatus().phaseOrPending()));
    if (done == null) {
      throw SnapshotException.failed("EtcdRestore " + where + " no longer exists: after a "
          + "restore the cluster holds the snapshot's state, in which it did not exist yet. The "
          + "operator recreates it from the nodes' restore journals within its re-check "
          + "interval (5 minutes): kubectl etcdsnapshot describe " + name + " -n "
          + api.namespace() + " then shows each node's steps", null);
    }
    RestorePhase phase = done.getStatus().phaseOrPending();
    if (phase == RestorePhase.Failed) {
      throw SnapshotException.failed("EtcdRestore " + where + " failed: "
          + done.getStatus().message, null);
    }
    print(output, done, phase == RestorePhase.PlanReady
        ? "Plan for EtcdRestore " + where + " (dry run, nothing was touched):\n"
            + Describer.plan(done.getStatus().plan, "  ").stripTrailing()
        : "Restored: " + done.getStatus().message);
    return 0;
  }

  /** The one succeeded EtcdSnapshot the argument names; refuses anything else. */
  private EtcdSnapshot source(BackupApi api) {
    EtcdSnapshot found = api.oneSnapshot(snapshot, "nothing was created");
    SnapshotView v = SnapshotView.of(found);
    if (!"Succeeded".equals(v.phase())) {
      throw SnapshotException.badInput("EtcdSnapshot " + v.resource() + " is " + v.phase()
          + ", not Succeeded: only a saved and verified snapshot can be restored; nothing was "
          + "created");
    }
    return found;
  }
}
