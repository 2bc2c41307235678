package dev.k3sbackup.cli;

import dev.k3sbackup.contract.PreparedRestore;
import dev.k3sbackup.snapshot.ServerTokenHash;
import dev.k3sbackup.snapshot.SnapshotCatalog;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.snapshot.SnapshotVerifier;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code prepare-restore NAME}: a restore's preflight on the node that will reset. Makes sure the
 * snapshot is in {@code --dir} on this node (fetching it from S3, verified, when it is only
 * there, as K3s does before restoring from S3), that etcd's trailer verifies, that its sha256 is
 * the one recorded when it was taken, and that it was taken with this node's server token.
 * Stops nothing; the only change it can make is the fetched file.
 */
@Command(name = "prepare-restore", mixinStandardHelpOptions = true,
    description = "Check (and fetch from S3) a snapshot before a restore; changes nothing else.")
final class PrepareRestoreCommand extends StoreCommand {

  @Parameters(index = "0", paramLabel = "NAME", description = "The snapshot's file name")
  String name;

  @Option(names = "--sha256", description = "The sha256 recorded when it was taken")
  String sha256;

  @Option(names = "--token-hash",
      description = "K3s's server token hash recorded when it was taken (default: what the "
          + "snapshot's .metadata sidecar or S3 metadata recorded)")
  String tokenHash;

  @Mixin
  EtcdOptions etcd;

  @Mixin
  DecryptOptions decrypt;

  @Option(names = "--members", description = "Also list etcd's members (from this node's etcd, "
      + "as --endpoints says): a restore must cover every one")
  boolean members;

  @Option(names = "--journal-dir", paramLabel = "PATH", description = "Also report the restores "
      + "journaled here before (default: none)")
  java.nio.file.Path journalDir;

  @Option(names = "--past-restores-of", paramLabel = "NAMESPACE/NAME", description = "With "
      + "--journal-dir: only the journals of this EtcdRestore")
  String pastRestoresOf;

  @Option(names = "--token-file",
      description = "K3s's server token (default: $${data-dir}/server/token)")
  java.nio.file.Path tokenFile;

  @Override
  Integer execute() {
    SnapshotVerifier.Verdict verdict;
    boolean fetched = false;
    String recorded = tokenHash;
    java.nio.file.Path decrypted = null;
    boolean encrypted = dev.k3sbackup.base.SnapshotName.isEncrypted(name);
    dev.k3sbackup.encryption.AgeIdentities identities = decrypt.identities();
    if (encrypted && identities == null) {
      throw SnapshotException.badInput("snapshot " + name + " is encrypted with age, and no "
          + "identity was given to decrypt it: nothing was touched; give the age identity "
          + "(AGE-SECRET-KEY-1...) with --decrypt-identity-file (an EtcdRestore: "
          + "spec.decryption.identitySecret, a Secret in the operator's namespace)");
    }
    try (SnapshotCatalog catalog = catalog().decryptingWith(identities)) {
      List<StoredSnapshot> copies = catalog.find(name);
      Optional<StoredSnapshot> local = copies.stream()
          .filter(c -> c.storage() == StoredSnapshot.Storage.LOCAL).findFirst();
      Optional<StoredSnapshot> remote = copies.stream()
          .filter(c -> c.storage() == StoredSnapshot.Storage.S3).findFirst();
      if (recorded == null) {
        recorded = local.or(() -> remote).map(StoredSnapshot::recordedTokenHash).orElse(null);
      }
      if (encrypted && (local.isPresent() || remote.isPresent())) {
        // decrypted into the snapshot dir now, before anything stops: the reset reads that
        SnapshotCatalog.Decrypted d = catalog.decrypt(local.or(() -> remote).orElseThrow());
        verdict = d.verdict();
        decrypted = d.file();
        fetched = local.isEmpty() && verdict.ok();
      } else if (local.isPresent()) {
        verdict = catalog.verify(local.get());
      } else if (remote.isPresent()) {
        verdict = catalog.fetch(remote.get());
        fetched = verdict.ok();
      } else {
        throw SnapshotException.badInput("snapshot " + name + " is neither in " + store
            .snapshotDir() + " on this node nor in S3" + (store.s3 ? "" : " (no --s3 given)")
            + ": nothing was touched; pick a snapshot that exists (kubectl get esnap)");
      }
    }
    if (!verdict.ok()) {
      throw SnapshotException.badInput("snapshot " + name + " " + verdict.problem()
          + ": it cannot be restored; nothing was touched; " + (encrypted && verdict
              .decryptedSha256() == null && verdict.snapshotSize() == 0
              ? "give the identity of one of its recipients" : "pick another snapshot"));
    }
    if (sha256 != null && !sha256.equalsIgnoreCase(verdict.sha256())) {
      throw SnapshotException.badInput("snapshot " + name + " has sha256 " + verdict.sha256()
          + " but " + sha256 + " was recorded when it was taken: it is not the same file; "
          + "nothing was touched; pick another snapshot");
    }
    Optional<String> current = ServerTokenHash.fromFile(tokenFile != null ? tokenFile
        : store.layout().token());
    // the hashes are not printed: this output is readable by whoever may read the Job's logs
    if (recorded != null && current.isPresent() && !recorded.equals(current.get())) {
      throw SnapshotException.badInput("snapshot " + name + " was taken with another server "
          + "token than this node's (their hashes differ): K3s could not decrypt the "
          + "snapshot's bootstrap data; nothing was touched. Restore on a node that has the "
          + "original token (K3s's --token), or pick a snapshot taken with the current one");
    }
    boolean tokenChecked = recorded != null && current.isPresent();
    java.util.List<dev.k3sbackup.etcd.EtcdMemberInfo> memberList = null;
    Long revisionNow = null;
    if (members) {
      try (var member = dev.k3sbackup.etcd.GrpcEtcdMember.connect(
          etcd.endpoint(store.layout(), parent.context.env()), etcd.timeout())) {
        memberList = member.members();
        revisionNow = member.status().revision();
      }
    }
    java.util.List<dev.k3sbackup.contract.PastRestore> past = journalDir == null ? null
        : dev.k3sbackup.restore.RestoreJournal.reportsIn(journalDir).stream()
            .map(dev.k3sbackup.contract.PastRestore::of)
            .filter(p -> pastRestoresOf == null
                || pastRestoresOf.equals(p.namespace() + "/" + p.name())).toList();
    PreparedRestore r = new PreparedRestore(store.snapshotDir().resolve(name).toString(),
        verdict.sha256(), verdict.size(), fetched, tokenChecked, memberList, past, revisionNow,
        decrypted == null ? null : decrypted.toString(), verdict.decryptedSha256());
    PrintWriter out = out();
    out.printf("OK %s: %s%d bytes, sha256 %s%s%s%n", name, fetched ? "fetched from S3, " : "",
        verdict.size(), verdict.sha256(), decrypted == null ? "" : ", decrypted to " + decrypted
            + " (sha256 " + verdict.decryptedSha256() + ")",
        tokenChecked ? ", taken with this node's server token"
            : ", server token not checked (no hash recorded with the snapshot, or no token)");
    out.flush();
    result(r);
    return 0;
  }
}
