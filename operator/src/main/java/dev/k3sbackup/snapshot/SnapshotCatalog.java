package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.encryption.AgeIdentities;
import dev.k3sbackup.retention.Copy;
import dev.k3sbackup.retention.Decisions;
import dev.k3sbackup.retention.Retention;
import dev.k3sbackup.retention.RetentionPolicy;
import dev.k3sbackup.retention.Store;
import dev.k3sbackup.storage.LocalSnapshotDir;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.storage.StoredSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshots of one node's dir and, optionally, one S3 folder, seen together: K3s's
 * {@code ls}, {@code delete} and {@code prune}, plus {@code verify}.
 */
public final class SnapshotCatalog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotCatalog.class);

  private final LocalSnapshotDir local;
  private final S3SnapshotStore s3;
  private final ProgressListener progress;
  private final Clock clock;
  private AgeIdentities identities;

  /**
   * @param local the node's snapshot dir
   * @param s3 the S3 folder, or null
   * @param progress told about long reads (verification)
   * @param clock the time retention decides at
   */
  public SnapshotCatalog(LocalSnapshotDir local, S3SnapshotStore s3, ProgressListener progress,
      Clock clock) {
    this.local = local;
    this.s3 = s3;
    this.progress = progress;
    this.clock = clock;
  }

  /** Decrypts encrypted ({@code .age}) snapshots with {@code identities} when verifying them. */
  public SnapshotCatalog decryptingWith(AgeIdentities identities) {
    this.identities = identities;
    return this;
  }

  /** Every snapshot in the dir and the folder, oldest first (then by name), as K3s sorts. */
  public List<StoredSnapshot> list() {
    List<StoredSnapshot> all = new ArrayList<>(local.list());
    if (s3 != null) {
      all.addAll(s3.list());
    }
    all.sort(Comparator.comparing(StoredSnapshot::createdAt).thenComparing(StoredSnapshot::name)
        .thenComparing(StoredSnapshot::storage));
    return all;
  }

  /** What deleting one name did in each store. */
  public record Deleted(String name, boolean local, boolean s3) {
    public boolean any() {
      return local || s3;
    }
  }

  /** Deletes the file and/or object called {@code name} and their sidecars. */
  public Deleted delete(String name) {
    SnapshotName.requireSafeComponent("snapshot name", name);
    boolean fromLocal = local.delete(name);
    boolean fromS3 = s3 != null && s3.delete(name);
    if (fromLocal || fromS3) {
      LOG.info("deleted snapshot {}{}{}", name, fromLocal ? " from " + local.dir() : "",
          fromS3 ? " from " + s3.config().locationOf(name) : "");
    }
    return new Deleted(name, fromLocal, fromS3);
  }

  /**
   * What a prune did.
   *
   * @param deleted the snapshots deleted, per store
   * @param spared a snapshot beyond retention kept because it is the newest one that verifies
   */
  public record Pruned(List<StoredSnapshot> deleted, List<StoredSnapshot> spared) {}

  /**
   * Keeps the {@code keep} newest snapshots named {@code prefix-...} in the dir and, separately,
   * in S3; never deletes the newest snapshot that verifies.
   */
  public Pruned prune(String prefix, int keep) {
    return prune(prefix, keep, keep);
  }

  /**
   * Keeps the {@code keepLocal} newest snapshots named {@code prefix-...} in the dir and the
   * {@code keepS3} newest in S3 (K3s's {@code --snapshot-retention} and {@code --s3-retention});
   * a count of 0 leaves that store alone; never deletes the newest snapshot that verifies.
   */
  public Pruned prune(String prefix, int keepLocal, int keepS3) {
    List<StoredSnapshot> deleted = new ArrayList<>();
    List<StoredSnapshot> spared = new ArrayList<>();
    if (keepLocal != 0) {
      List<Copy<StoredSnapshot>> copies = new ArrayList<>();
      local.list().forEach(s -> copies.add(copy(s, Store.local(""))));
      apply(copies, RetentionPolicy.fromFlags(prefix, keepLocal), deleted, spared);
    }
    if (s3 != null && keepS3 != 0) {
      List<Copy<StoredSnapshot>> copies = new ArrayList<>();
      s3.list().forEach(s -> copies.add(copy(s, Store.s3(s3.config().locationOf("")))));
      apply(copies, RetentionPolicy.fromFlags(prefix, keepS3, "--s3-retention"), deleted,
          spared);
    }
    return new Pruned(deleted, spared);
  }

  private void apply(List<Copy<StoredSnapshot>> copies, RetentionPolicy policy,
      List<StoredSnapshot> deleted, List<StoredSnapshot> spared) {
    Decisions<StoredSnapshot> decisions = Retention.decide(copies, policy, this::verifies,
        clock.instant());
    for (Copy<StoredSnapshot> c : decisions.spared()) {
      LOG.warn("keeping {} beyond retention: none of the {} kept snapshots verifies",
          c.snapshot().location(), policy.keep());
      spared.add(c.snapshot());
    }
    for (Copy<StoredSnapshot> c : decisions.deleted()) {
      deleteFrom(c.snapshot());
      deleted.add(c.snapshot());
    }
  }

  private static Copy<StoredSnapshot> copy(StoredSnapshot s, Store store) {
    return new Copy<>(s, store, s.name(), s.createdAt(), s.location());
  }

  private void deleteFrom(StoredSnapshot s) {
    if (s.storage() == StoredSnapshot.Storage.LOCAL) {
      local.delete(s.name());
    } else {
      s3.delete(s.name());
    }
    LOG.info("pruned snapshot {}", s.location());
  }

  private boolean verifies(StoredSnapshot s) {
    try {
      return verify(s).ok();
    } catch (RuntimeException e) {
      LOG.warn("cannot verify {}: {}", s.location(), e.getMessage());
      return false;
    }
  }

  /** Verifies one stored snapshot by streaming it once. */
  public SnapshotVerifier.Verdict verify(StoredSnapshot s) {
    progress.start("verifying " + s.name(), s.size());
    try (InputStream in = open(s)) {
      return SnapshotVerifier.verify(s.name(), in, progress, identities, null);
    } catch (IOException e) {
      throw SnapshotException.failed("cannot read " + s.location() + " (" + e.getMessage() + ")",
          e);
    }
  }

  /**
   * Verifies a snapshot given by name (looked up in the dir, then S3) or by a file path.
   */
  public List<SnapshotVerifier.Verdict> verify(String nameOrPath) {
    List<StoredSnapshot> found = find(nameOrPath);
    if (found.isEmpty()) {
      Path path = Path.of(nameOrPath);
      if (!Files.isRegularFile(path)) {
        throw SnapshotException.badInput("no snapshot named " + nameOrPath + " in --dir "
            + local.dir() + (s3 == null ? "" : " or " + s3.config().locationOf(""))
            + ", and no such file: check the name with 'ls'");
      }
      progress.start("verifying " + path, sizeOf(path));
      try (InputStream in = Files.newInputStream(path)) {
        return List.of(SnapshotVerifier.verify(path.getFileName().toString(), in, progress,
            identities, null));
      } catch (IOException e) {
        throw SnapshotException.failed("cannot read " + path + " (" + e.getMessage() + ")", e);
      }
    }
    return found.stream().map(this::verify).toList();
  }

  /**
   * Copies the S3 snapshot {@code s} into the local dir (as K3s does before restoring from S3),
   * verifying it while it streams: the file gets its name only when it verifies; otherwise it is
   * removed and the verdict says why.
   */
  public SnapshotVerifier.Verdict fetch(StoredSnapshot s) {
    progress.start("fetching " + s.location(), s.size());
    try (LocalSnapshotDir.PendingFile file = local.create(s.name());
        InputStream in = s3.open(s.name())) {
      InputStream copying = new SnapshotVerifier.CopyingInput(in, file.out());
      SnapshotVerifier.Verdict v = SnapshotVerifier.verify(s.name(), copying, progress);
      if (v.ok()) {
        file.commit();
      }
      return v;
    } catch (IOException e) {
      throw SnapshotException.failed("cannot fetch " + s.location() + " into " + local.dir()
          + " (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Decrypts the encrypted snapshot {@code s} (local or in S3) into the local dir as
   * {@link SnapshotName#decryptedFileName}, verifying the stored bytes and the decrypted
   * snapshot while they stream: the decrypted file gets its name only when everything verifies
   * (replacing one left by an earlier preflight); otherwise it is removed and the verdict says
   * why. The decrypted file is mode 0600, like every snapshot file.
   *
   * @return the verdict (sha256 of the stored bytes; {@link SnapshotVerifier.Verdict#
   *     decryptedSha256()} of the decrypted file) and where the decrypted file is
   */
  public Decrypted decrypt(StoredSnapshot s) {
    String target = SnapshotName.decryptedFileName(s.name());
    progress.start("decrypting " + s.location(), s.size());
    try {
      local.delete(target); // an earlier preflight's; written again from the stored bytes
      try (LocalSnapshotDir.PendingFile file = local.create(target);
          InputStream in = open(s)) {
        SnapshotVerifier.Verdict v = SnapshotVerifier.verify(s.name(), in, progress, identities,
            file.out());
        if (v.ok()) {
          file.commit();
        }
        return new Decrypted(v, v.ok() ? file.target() : null);
      }
    } catch (IOException e) {
      throw SnapshotException.failed("cannot decrypt " + s.location() + " into " + local.dir()
          + " (" + e.getMessage() + ")", e);
    }
  }

  /** What {@link #decrypt} made: the verdict, and the decrypted file when it verified. */
  public record Decrypted(SnapshotVerifier.Verdict verdict, Path file) {}

  /** The stored copies named {@code name}: local first, then S3. */
  public List<StoredSnapshot> find(String name) {
    if (name.contains("/") || name.contains("..") || SnapshotName.parse(name).isEmpty()) {
      return List.of();
    }
    List<StoredSnapshot> found = new ArrayList<>();
    local.lookup(name).ifPresent(found::add);
    if (s3 != null) {
      s3.find(name).ifPresent(found::add);
    }
    return found;
  }

  /** Streams a stored snapshot's bytes. */
  public InputStream open(StoredSnapshot s) throws IOException {
    if (s.storage() == StoredSnapshot.Storage.LOCAL) {
      return Files.newInputStream(local.find(s.name()).orElseThrow(
          () -> new IOException(s.location() + " is gone")));
    }
    return s3.open(s.name());
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (s3 != null) {
      s3.close();
    }
  }
}
