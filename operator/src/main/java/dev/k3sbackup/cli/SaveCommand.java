package dev.k3sbackup.cli;

import dev.k3sbackup.cli.StatusProgressReporter;
import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SaveRequest;
import dev.k3sbackup.snapshot.ServerTokenHash;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.snapshot.SnapshotSaver;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code save}: K3s's {@code etcd-snapshot save}. */
@Command(name = "save", description = "Take a verified snapshot of one etcd member.",
    mixinStandardHelpOptions = true)
final class SaveCommand extends StoreCommand {

  @Mixin
  EtcdOptions etcd;

  @Option(names = {"--name", "--etcd-snapshot-name"}, defaultValue = SnapshotName.K3S_ON_DEMAND_PREFIX,
      description = "Snapshot name prefix (default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = "--node-name", description = "This node's name (default: the host name)")
  String nodeName;

  @Option(names = {"--snapshot-compress", "--etcd-snapshot-compress"},
      description = "Write K3s's compressed .zip form")
  boolean compress;

  @Option(names = "--token-file", paramLabel = "PATH",
      description = "K3s server token, for the token hash (default: $${data-dir}/server/token)")
  Path tokenFile;

  @Option(names = "--cluster-id", description = "K3s cluster id to record in S3 metadata "
      + "(the kube-system namespace UID)")
  String clusterId;

  @Mixin
  OutputOption output;

  @Override
  public Integer call() {
    SaveRequest request = new SaveRequest(etcd.endpoint(store.layout(), parent.context.env()), etcd.timeout(),
        store.snapshotDir(), name, nodeName != null ? nodeName : hostName(), compress,
        store.s3Config(parent.context.env()),
        ServerTokenHash.fromFile(tokenFile != null ? tokenFile : store.layout().token())
            .orElse(null), clusterId);
    SnapshotRecord record;
    Optional<StatusProgressReporter> reporter =
        StatusProgressReporter.fromEnv(parent.context.env());
    try {
      ProgressListener progress = parent.progress(spec.commandLine());
      record = new SnapshotSaver(parent.context.clock(), parent.context.etcd(),
          reporter.<ProgressListener>map(r -> ProgressListener.both(progress, r))
              .orElse(progress)).save(request);
    } finally {
      reporter.ifPresent(StatusProgressReporter::close);
    }
    if (parent.resultFile != null) {
      // an agent Job's output and result are readable by anyone who may read Pods and their
      // logs in the operator's namespace: K3s's token hash stays in the sidecar and S3 metadata
      record = record.withoutTokenHash();
    }
    PrintWriter out = out();
    if (output.table()) {
      out.printf("Saved snapshot %s%n  file://%s%n", record.name(), record.localPath());
      if (record.s3() != null) {
        out.printf("  %s%n", record.s3().location);
      }
      out.printf("  size %d bytes, sha256 %s%n  etcd revision %d from member %s%n",
          record.size(), record.sha256(), record.etcdRevision(), record.etcdMemberId());
    } else {
      out.print(output.render(record));
    }
    out.flush();
    if (record.s3Error() != null) {
      SnapshotException failure = new SnapshotException(FailureKind.UPLOAD_FAILED,
          "the snapshot was saved and verified locally at " + record.localPath() + ", but the S3 "
          + "upload failed and was aborted: " + record.s3Error());
      parent.writeResult(AgentResult.failure(failure.kind(), failure.getMessage(), record));
      throw failure;
    }
    result(record);
    return 0;
  }

  /** K3s names snapshots after the node, which defaults to the host name. */
  static String hostName() {
    String env = System.getenv("NODE_NAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      throw SnapshotException.badInput("cannot tell this host's name: give --node-name");
    }
  }
}
