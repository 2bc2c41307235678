package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SaveRequest;
import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.encryption.AgeRecipients;
import dev.k3sbackup.snapshot.SnapshotSaver;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
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

  @Option(names = "--token-file", paramLabel = "PATH",
      description = "K3s server token, for the token hash (default: $${data-dir}/server/token)")
  Path tokenFile;

  @Option(names = "--cluster-id", description = "K3s cluster id to record in S3 metadata "
      + "(the kube-system namespace UID)")
  String clusterId;

  @Option(names = "--encrypt-recipients-file", paramLabel = "FILE",
      description = "Encrypt the snapshot with age while it streams, before it is written or "
          + "uploaded, to the X25519 recipients in FILE (age1... public keys, one a line, as "
          + "age -R reads them); the file is named <name>[.zip].age and 'age -d -i KEY' "
          + "decrypts it. Not a K3s flag.")
  Path encryptRecipientsFile;

  @Option(names = "--next-free-name", hidden = true,
      description = "When the snapshot's name is taken on this node (another save started in "
          + "the same second), take the next free second's name instead of refusing: the "
          + "operator's Jobs ask for it, since two schedules may fire together. Not a K3s flag.")
  boolean nextFreeName;

  @Mixin
  OutputOption output;

  @Override
  Integer execute() {
    Map<String, String> env = parent.context.env();
    SaveRequest request = new SaveRequest(etcd.endpoint(store.layout(), env), etcd.timeout(),
        store.snapshotDir(), store.name, store.nodeName(env), store.compress,
        store.s3Config(env), store.tokenHash(tokenFile).orElse(null), clusterId,
        encryptRecipientsFile == null ? null
            : AgeRecipients.read(encryptRecipientsFile,
                "--encrypt-recipients-file " + encryptRecipientsFile), nextFreeName);
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
    if (store.s3Retention != null && record.s3() != null) {
      // as K3s's save does when etcd-s3-retention is given (on the command line or in
      // config.yaml): the S3 folder is pruned to it; local snapshots are left alone
      try (SnapshotCatalog catalog = catalog()) {
        SnapshotCatalog.Pruned pruned = catalog.prune(store.name, 0, store.s3Retention);
        pruned.deleted().forEach(d -> out.printf("Pruned %s (--s3-retention %d)%n",
            d.location(), store.s3Retention));
        out.flush();
      }
    }
    result(record);
    return 0;
  }

}
