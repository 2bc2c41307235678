package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.snapshot.SnapshotVerifier;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code verify NAME|PATH}: checks etcd's integrity trailer without restoring. */
@Command(name = "verify", mixinStandardHelpOptions = true,
    description = "Check a snapshot's integrity (etcd's sha256 trailer) without restoring it.")
final class VerifyCommand extends StoreCommand {

  @Parameters(index = "0", paramLabel = "NAME|PATH",
      description = "A snapshot name (looked up in --dir, then S3) or a file path")
  String target;

  @Mixin
  DecryptOptions decrypt;

  @Mixin
  OutputOption output;

  @Override
  Integer execute() {
    List<SnapshotVerifier.Verdict> verdicts;
    try (SnapshotCatalog catalog = catalog().decryptingWith(decrypt.identities())) {
      verdicts = catalog.verify(target);
    }
    PrintWriter out = out();
    if (output.table()) {
      for (SnapshotVerifier.Verdict v : verdicts) {
        out.printf(v.ok() ? "OK %s: %d bytes, sha256 %s%n" : "CORRUPT %s: %4$s%n", v.name(),
            v.size(), v.sha256(), v.problem());
      }
    } else {
      out.print(output.render(verdicts.size() == 1 ? verdicts.get(0) : verdicts));
    }
    out.flush();
    result(verdicts);
    return verdicts.stream().allMatch(SnapshotVerifier.Verdict::ok) ? 0
        : EtcdSnapshotCommand.EXIT_FAILED;
  }
}
