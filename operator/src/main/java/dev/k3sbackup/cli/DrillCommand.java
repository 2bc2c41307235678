package dev.k3sbackup.cli;

import dev.k3sbackup.base.FailureKind;
import dev.k3sbackup.base.GoDuration;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.contract.AgentResult;
import dev.k3sbackup.contract.DrillReport;
import dev.k3sbackup.drill.RestoreDrill;
import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drill NAME}: proves a snapshot restorable without touching the cluster's etcd
 * ({@link RestoreDrill}): checks its sha256 and etcd's trailer, restores it into a throwaway
 * etcd on loopback, reads the revision and the keys per resource type back, and removes
 * everything. The snapshot is read from {@code --dir} on this node, or fetched from S3 into the
 * work dir.
 */
@Command(name = "drill", mixinStandardHelpOptions = true,
    description = "Restore a snapshot into a throwaway etcd on 127.0.0.1, read it back, and "
        + "remove everything: proves it restorable; touches nothing of K3s's.")
final class DrillCommand extends StoreCommand {

  /** Where to read the snapshot from. */
  enum From {
    /** The file in --dir when it is there, else the S3 copy. */
    auto,
    local,
    s3
  }

  @Parameters(index = "0", paramLabel = "NAME", description = "The snapshot's file name")
  String name;

  @Option(names = "--sha256", description = "The sha256 recorded when it was taken (default: "
      + "the one in the snapshot's .metadata sidecar or S3 metadata, when there)")
  String sha256;

  @Option(names = "--from", defaultValue = "auto",
      description = "auto (the file in --dir, else S3), local or s3 (default: ${DEFAULT-VALUE})")
  From from;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "Where the restored data goes, removed after (default: the system's temp "
          + "dir)")
  Path workDir;

  @Option(names = "--etcd-bin-dir", paramLabel = "DIR", description = "Where etcd and etcdutl "
      + "v3.6 are (default: $" + RestoreDrill.BIN_DIR_ENV + ", else /usr/local/bin, the image's)")
  Path binDir;

  @Option(names = "--drill-timeout", defaultValue = "10m", description = "The longest the "
      + "restore, and etcd's start, may each take (default: ${DEFAULT-VALUE})")
  String timeout;

  @Mixin
  OutputOption output;

  @Mixin
  DecryptOptions decrypt;

  @Override
  Integer execute() {
    var timeLimit = GoDuration.parse("--drill-timeout", timeout);
    Path bin = binDir != null ? binDir : Optional.ofNullable(parent.context.env()
        .get(RestoreDrill.BIN_DIR_ENV)).filter(s -> !s.isBlank()).map(Path::of)
        .orElse(RestoreDrill.IMAGE_BIN_DIR);
    Path work = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
    RestoreDrill.Result result;
    try (SnapshotCatalog catalog = catalog()) {
      List<StoredSnapshot> copies = catalog.find(name);
      StoredSnapshot chosen = copies.stream()
          .filter(c -> from == From.auto || c.storage().name().equalsIgnoreCase(from.name()))
          .findFirst().orElseThrow(() -> SnapshotException.badInput("snapshot " + name
              + (from == From.s3 ? " is not in S3" + (store.s3 ? "" : " (no --s3 given)")
              : from == From.local ? " is not in " + store.snapshotDir()
              : " is neither in " + store.snapshotDir() + " nor in S3" + (store.s3 ? ""
                  : " (no --s3 given)")) + ": check the name with 'ls'"));
      boolean local = chosen.storage() == StoredSnapshot.Storage.LOCAL;
      Path file = local ? store.local().find(name).orElse(null) : null;
      RestoreDrill.Source source = new RestoreDrill.Source(name, chosen.location(),
          chosen.size(), local && !chosen.compressed() && !SnapshotName.isEncrypted(name)
              ? file : null,
          () -> catalog.open(chosen));
      String recorded = sha256 != null && !sha256.isBlank() ? sha256 : chosen.recordedSha256();
      result = new RestoreDrill(bin, work, timeLimit, parent.progress(spec.commandLine()))
          .run(source, recorded, decrypt.identities());
    }
    PrintWriter out = out();
    DrillReport r = result.report();
    if (output.table()) {
      if (result.passed()) {
        out.printf("PASSED %s: restored into etcd %s on 127.0.0.1 and read back: revision %d, "
            + "%d keys under /registry/ in %d resource types (%s), in %.1f s%n", r.name(),
            r.etcdVersion(), r.revision(), r.keys(), r.resourceTypes(), r.keyCounts().stream()
                .map(c -> c.resource + " " + c.count).collect(Collectors.joining(", ")),
            r.timings().total());
      } else {
        out.printf("FAILED %s: %s%n", r.name(), result.problem());
      }
    } else {
      out.print(output.render(r));
    }
    out.flush();
    if (!result.passed()) {
      parent.writeResult(AgentResult.failure(FailureKind.FAILED, result.problem(), r));
      return EtcdSnapshotCommand.EXIT_FAILED;
    }
    result(r);
    return 0;
  }
}
