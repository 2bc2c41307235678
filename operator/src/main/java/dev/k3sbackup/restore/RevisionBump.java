package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.base.TrailerCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the snapshot a restore hands to K3s: a copy of the chosen snapshot whose etcd revision is
 * bumped far past any revision a client has seen, and marked compacted there.
 *
 * <p>Why: a restore takes etcd's revision back to the snapshot's. Clients that watched before
 * (informers of operators, kubelets, controllers on other servers) hold resourceVersions above
 * it; once the restored cluster's revision climbs past them again, their watches resume there
 * and their caches keep the objects the rollback removed, with no event ever telling them.
 * K3s's {@code --cluster-reset-restore-path} restores with etcdutl's snapshot restore and sets
 * neither {@code RevisionBump} nor {@code MarkCompacted}, so the bump is done here, before K3s
 * runs, as OpenShift's restore does: {@code etcdutl snapshot restore --bump-revision N
 * --mark-compacted} into a scratch data dir, whose {@code member/snap/db} followed by its sha256
 * (etcd's integrity trailer) is a snapshot again. K3s restores it with its hash check; every
 * watch from before the restore is then refused as compacted (a watch from a revision above the
 * server's too, until it relists), so every informer relists and sees the rollback.
 *
 * <p>The copy is written as {@code <name>.part}, fsynced, checked with {@code etcdutl snapshot
 * status} and only then renamed; on any failure nothing but what was there before is left in the
 * work dir. Bytes are streamed, never held in memory. etcdutl is etcd v3.6's, as the image
 * carries it ({@link #IMAGE_ETCDUTL}).
 */
public final class RevisionBump {

  private static final Logger LOG = LoggerFactory.getLogger(RevisionBump.class);

  /** Where the image puts etcdutl (operator/pom.xml, scripts/etcd-binaries.sh). */
  public static final Path IMAGE_ETCDUTL = Path.of("/usr/local/bin/etcdutl");
  /**
   * The bump when the revision before the restore is not known, and the margin above it when it
   * is: one billion, as OpenShift's restore bumps. Revisions are int64 (room for billions of such
   * bumps); a billion revisions is over three months of writes at 100 per second, far more than a
   * cluster makes between a revision read before the restore and K3s stopping.
   */
  public static final long DEFAULT_AMOUNT = 1_000_000_000L;
  /** What the copy's name ends with: never a snapshot name (K3s's retention and our scans skip it). */
  public static final String SUFFIX = ".revision-bumped";
  static final String PART = ".part";
  /** A scratch dir of one run inside the work dir: etcdutl's data dir and an unzipped input. */
  static final String SCRATCH_PREFIX = ".revision-bump-";

  private static final int BUFFER = 256 * 1024;
  private static final String MEMBER = "revision-bump";
  /** Never listened on: etcdutl only records the member's peer URL in the scratch data dir. */
  private static final String PEER_URL = "http://127.0.0.1:2380";

  /**
   * The bumped copy.
   *
   * @param file the new snapshot file (raw etcd snapshot with its sha256 trailer)
   * @param sha256 hex sha256 of the whole file
   * @param size its size in bytes
   * @param snapshotRevision the revision of the snapshot it was made from
   * @param amount how far the revision was bumped
   * @param revision the copy's revision ({@code snapshotRevision + amount}), marked compacted
   */
  public record Result(Path file, String sha256, long size, long snapshotRevision, long amount,
      long revision) {}

  private final Path etcdutl;
  private final Duration timeout;

  /** With the image's etcdutl and 15 minutes for each etcdutl command. */
  public RevisionBump() {
    this(IMAGE_ETCDUTL, Duration.ofMinutes(15));
  }

  /**
   * @param etcdutl etcd v3.6's etcdutl
   * @param timeout how long each etcdutl command may run before it is killed
   */
  public RevisionBump(Path etcdutl, Duration timeout) {
    this.etcdutl = etcdutl;
    this.timeout = timeout;
  }

  /**
   * How far to bump: past the highest revision a client may hold, with {@link #DEFAULT_AMOUNT}
   * to spare. Without the revision before the restore that is {@link #DEFAULT_AMOUNT} (OpenShift's
   * choice); with it, the gap from the snapshot's revision to it plus {@link #DEFAULT_AMOUNT}, so an
   * old snapshot of a busy cluster is still bumped past every revision its clients saw.
   *
   * @param snapshotRevision the snapshot's revision
   * @param revisionBeforeRestore the cluster's revision read before the restore stops it (for
   *     example a safety snapshot's), when known
   */
  public static long amount(long snapshotRevision, OptionalLong revisionBeforeRestore) {
    long gap = revisionBeforeRestore.isPresent()
        ? Math.max(0, revisionBeforeRestore.getAsLong() - snapshotRevision) : 0;
    return Math.addExact(gap, DEFAULT_AMOUNT);
  }

  /**
   * Writes {@code <workDir>/<snapshot name without .zip>}{@value #SUFFIX}: {@code snapshot} with
   * its revision bumped by {@link #amount} and marked compacted. An existing copy of that name,
   * and the scratch dirs of runs that were killed, are replaced.
   *
   * @param snapshot a raw etcd snapshot, or K3s's {@code .zip} of one (unzipped into the work
   *     dir first)
   * @param workDir where the copy and the scratch data go: room for twice the snapshot's
   *     database plus 64 MB (etcdutl's WAL), and once more for a zip, on a disk the host's K3s
   *     reads at the same path (under K3s's data dir, outside its snapshot dir)
   * @param revisionBeforeRestore the cluster's revision before the restore, when known
   * @throws RestoreException when etcdutl is missing, refuses the snapshot, fails or times out,
   *     or the disk fails; nothing of this run is left behind
   */
  public Result bump(Path snapshot, Path workDir, OptionalLong revisionBeforeRestore) {
    if (!Files.isExecutable(etcdutl)) {
      throw new RestoreException("cannot bump the snapshot's revision: etcdutl is not at "
          + etcdutl + " (the image carries etcd v3.6's etcdutl at " + IMAGE_ETCDUTL
          + "; is this the k3s-etcd-backup image?); nothing was written");
    }
    if (!Files.isRegularFile(snapshot)) {
      throw new RestoreException("cannot bump the revision of " + snapshot + ": no such file; "
          + "nothing was written");
    }
    String name = snapshot.getFileName().toString();
    String base = name.endsWith(SnapshotName.ZIP_SUFFIX)
        ? name.substring(0, name.length() - SnapshotName.ZIP_SUFFIX.length()) : name;
    Path target = workDir.resolve(base + SUFFIX);
    Path part = workDir.resolve(base + SUFFIX + PART);
    Path scratch = null;
    try {
      Files.createDirectories(workDir);
      removeLeftovers(workDir);
      scratch = Files.createTempDirectory(workDir, SCRATCH_PREFIX);
      Path raw = snapshot;
      if (!base.equals(name)) {
        raw = scratch.resolve(base);
        unzip(snapshot, raw);
      }
      long snapshotRevision = revisionOf(raw, scratch, "the snapshot " + snapshot);
      long amount = amount(snapshotRevision, revisionBeforeRestore);
      long revision = Math.addExact(snapshotRevision, amount);
      LOG.info("Bumping the revision of {} from {} by {} to {} (marked compacted)", snapshot,
          snapshotRevision, amount, revision);
      Path data = scratch.resolve("data");
      etcdutl(scratch, "etcdutl snapshot restore of " + snapshot, "snapshot", "restore",
          raw.toString(), "--data-dir", data.toString(), "--name", MEMBER,
          "--initial-cluster", MEMBER + "=" + PEER_URL, "--initial-advertise-peer-urls", PEER_URL,
          "--bump-revision", Long.toString(amount), "--mark-compacted");
      TrailerCheck.Result written = writeWithTrailer(data.resolve("member/snap/db"), part);
      long got = revisionOf(part, scratch, "the bumped copy " + part);
      if (got != revision) {
        throw new RestoreException("etcdutl wrote a copy of " + snapshot + " at revision " + got
            + ", not " + revision + "; nothing was written");
      }
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      fsyncDir(workDir);
      LOG.info("Wrote {} at revision {} ({} bytes, sha256 {})", target, revision,
          written.size(), written.sha256());
      return new Result(target, written.sha256(), written.size(), snapshotRevision, amount,
          revision);
    } catch (IOException e) {
      throw new RestoreException("cannot bump the revision of " + snapshot + " in " + workDir
          + ": " + e + "; nothing was written");
    } finally {
      deleteQuietly(part);
      if (scratch != null) {
        deleteTree(scratch);
      }
    }
  }

  /** Removes the scratch dirs of runs that were killed (one restore runs at a time). */
  private static void removeLeftovers(Path workDir) throws IOException {
    try (Stream<Path> files = Files.list(workDir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.getFileName().toString().startsWith(SCRATCH_PREFIX) && Files.isDirectory(p)) {
          LOG.info("Removing {}, left by a revision bump that was stopped", p);
          deleteTree(p);
        }
      }
    }
  }

  /** Unzips K3s's compressed snapshot (one entry) to {@code raw}, streaming. */
  static void unzip(Path zipFile, Path raw) throws IOException {
    try (InputStream in = Files.newInputStream(zipFile);
        ZipInputStream zip = new ZipInputStream(in)) {
      ZipEntry entry = zip.getNextEntry();
      if (entry == null) {
        throw new RestoreException(zipFile + " is not a K3s compressed snapshot: the zip holds "
            + "no entry; nothing was written");
      }
      try (OutputStream out = Files.newOutputStream(raw, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        zip.transferTo(out);
      }
      if (zip.getNextEntry() != null) {
        throw new RestoreException(zipFile + " is not a K3s compressed snapshot: the zip holds "
            + "more than one entry; nothing was written");
      }
    } catch (ZipException e) {
      throw new RestoreException(zipFile + " is not a readable zip (" + e.getMessage()
          + "); nothing was written");
    }
  }

  /**
   * Writes {@code db} followed by its sha256 (etcd's snapshot integrity trailer) to {@code part}
   * (created new, mode 0600, fsynced), streaming; checks the result as a snapshot.
   */
  static TrailerCheck.Result writeWithTrailer(Path db, Path part) throws IOException {
    MessageDigest digest = TrailerCheck.sha256();
    TrailerCheck check = new TrailerCheck();
    Files.deleteIfExists(part);
    try (InputStream in = Files.newInputStream(db);
        FileChannel channel = FileChannel.open(part, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------")))) {
      OutputStream out = Channels.newOutputStream(channel);
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, n);
        check.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
      byte[] trailer = digest.digest();
      check.update(trailer, 0, trailer.length);
      out.write(trailer);
      out.flush();
      channel.force(true);
    } catch (FileAlreadyExistsException e) {
      throw new IOException(part + " appeared while writing it: is another bump running?", e);
    }
    TrailerCheck.Result result = check.finish();
    if (!result.ok()) {
      throw new RestoreException("etcdutl's restored database " + db + " does not make a "
          + "snapshot: the copy " + result.problem() + "; nothing was written");
    }
    return result;
  }

  /** The revision {@code etcdutl snapshot status} reads from {@code file}. */
  private long revisionOf(Path file, Path scratch, String what) throws IOException {
    String out = etcdutl(scratch, "etcdutl snapshot status of " + what, "snapshot", "status",
        file.toString(), "-w", "json");
    int start = out.lastIndexOf("{\"hash\"");
    try {
      JsonNode status = new ObjectMapper().readTree(out.substring(Math.max(0, start)));
      JsonNode revision = status.get("revision");
      if (revision == null || !revision.canConvertToLong()) {
        throw new IOException("no revision");
      }
      return revision.asLong();
    } catch (IOException | RuntimeException e) {
      throw new RestoreException("etcdutl snapshot status of " + what + " printed no revision: "
          + tail(out) + "; nothing was written");
    }
  }

  /**
   * Runs etcdutl with its output in a file of the scratch dir (never a pipe that could fill),
   * killing it after the timeout; returns the output of a run that exited 0.
   */
  private String etcdutl(Path scratch, String what, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(etcdutl.toString()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(scratch, "etcdutl-", ".log");
    Process p;
    try {
      p = new ProcessBuilder(command).directory(scratch.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new RestoreException("cannot run " + etcdutl + " (" + e.getMessage()
          + "): the revision bump needs etcd v3.6's etcdutl; nothing was written");
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        throw new RestoreException(what + " did not finish within " + timeout.toSeconds()
            + " s and was killed; nothing was written");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new RestoreException(what + " was interrupted; nothing was written");
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new RestoreException(what + " failed (exit " + p.exitValue() + "): " + tail(out)
          + "; nothing was written");
    }
    return out;
  }

  /** The end of etcdutl's output, where it says what went wrong. */
  static String tail(String out) {
    String t = out.strip();
    return t.length() > 600 ? "..." + t.substring(t.length() - 600) : t;
  }

  private static void fsyncDir(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // not every filesystem lets a directory be fsynced; the file itself is synced
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // the caller's own outcome is what matters
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(RevisionBump::deleteQuietly);
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.warn("Could not remove the scratch dir {}: {}", root, e.toString());
    }
  }
}
