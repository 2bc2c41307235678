package dev.k3sbackup.drill;

import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import dev.k3sbackup.contract.DrillReport;
import dev.k3sbackup.encryption.AgeIdentities;
import dev.k3sbackup.snapshot.ProgressListener;
import dev.k3sbackup.snapshot.SnapshotVerifier;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restore drill: proves a snapshot restorable without touching the cluster's etcd. In a
 * temporary dir of its own it
 *
 * <ol>
 *   <li>reads the snapshot once: its sha256 must be the one recorded when it was taken, and
 *       etcd's integrity trailer must match its content (a file that fails either is refused
 *       here: etcd is never started on it); an S3 copy or K3s's zip is written out as etcd's raw
 *       stream on the way;
 *   <li>restores it with etcd v3.6's {@code etcdutl snapshot restore} (which checks the trailer
 *       again) into a data dir for one member named {@value ThrowawayEtcd#MEMBER};
 *   <li>starts etcd on that data dir on 127.0.0.1 only, on ports the kernel hands out (never
 *       K3s's), and reads back with a linearizable read the revision and the count of keys
 *       under {@code /registry/}, then every key (at that revision) to count them per resource
 *       type;
 *   <li>stops etcd and removes everything it wrote.
 * </ol>
 *
 * <p>etcd and etcdutl are the image's ({@link #IMAGE_BIN_DIR}), the v3.6 line K3s v1.34 embeds.
 */
public final class RestoreDrill {

  private static final Logger LOG = LoggerFactory.getLogger(RestoreDrill.class);

  /** Where the image keeps etcd and etcdutl (scripts/etcd-binaries.sh, operator/pom.xml). */
  public static final Path IMAGE_BIN_DIR = Path.of("/usr/local/bin");
  /** Names another dir holding etcd and etcdutl v3.6 (the CLI's --etcd-bin-dir default). */
  public static final String BIN_DIR_ENV = "K3S_ETCD_BACKUP_ETCD_BIN_DIR";
  /** How many resource types a report names (the rest are counted in the total). */
  public static final int TOP = 10;
  /** What a drill's scratch dir is called, inside the work dir. */
  static final String SCRATCH_PREFIX = "drill-";
  private static final int ATTEMPTS = 3;

  /**
   * The snapshot to drill.
   *
   * @param name its file name ({@code .zip} when K3s's compressed form)
   * @param location where it is, for messages and the report ({@code file://}, {@code s3://})
   * @param size bytes stored, for the space check (-1 when unknown)
   * @param localFile the raw file itself, which etcdutl may read in place; null for an S3 copy,
   *     a zip or an encrypted file, which the drill writes out as etcd's raw stream first
   * @param opener opens the stored bytes
   */
  public record Source(String name, String location, long size, Path localFile,
      Opener opener) {}

  /** Opens a snapshot's stored bytes. */
  @FunctionalInterface
  public interface Opener {
    InputStream open() throws IOException;
  }

  /**
   * What the drill found.
   *
   * @param report as far as the drill got
   * @param problem null when the snapshot passed, else why not (a sentence)
   */
  public record Result(DrillReport report, String problem) {
    public boolean passed() {
      return problem == null;
    }
  }

  private final Path binDir;
  private final Path workDir;
  private final Duration timeout;
  private final ProgressListener progress;

  /**
   * @param binDir where etcd and etcdutl v3.6 are
   * @param workDir where the drill's scratch dir goes: room for the restored data (about the
   *     snapshot's size) and, for an S3 copy or a zip, the raw stream too
   * @param timeout the longest the restore, and etcd's start, may each take
   * @param progress told how reading the snapshot goes
   */
  public RestoreDrill(Path binDir, Path workDir, Duration timeout, ProgressListener progress) {
    this.binDir = binDir;
    this.workDir = workDir;
    this.timeout = timeout;
    this.progress = progress;
  }

  /**
   * Drills {@code source}.
   *
   * @param recordedSha256 the sha256 recorded when it was taken (null: not checked)
   * @throws SnapshotException when the drill itself cannot run (no etcd, no room, no work dir)
   */
  public Result run(Source source, String recordedSha256) {
    return run(source, recordedSha256, null);
  }

  /**
   * Drills {@code source}, decrypting an encrypted ({@code .age}) one with {@code identities}.
   *
   * @param identities what decrypts it, or null (an encrypted snapshot then fails the drill
   *     with a message that says which identity to give)
   */
  public Result run(Source source, String recordedSha256, AgeIdentities identities) {
    long started = System.nanoTime();
    Path etcd = binDir.resolve("etcd");
    Path etcdutl = binDir.resolve("etcdutl");
    for (Path tool : List.of(etcd, etcdutl)) {
      if (!Files.isExecutable(tool)) {
        throw SnapshotException.failed("a drill needs etcd v3.6's " + tool.getFileName()
            + ", and " + tool + " is not there (the k3s-etcd-backup image has it in "
            + IMAGE_BIN_DIR + "; give --etcd-bin-dir or $" + BIN_DIR_ENV + " elsewhere)", null);
      }
    }
    Path scratch;
    try {
      Files.createDirectories(workDir);
      scratch = Files.createTempDirectory(workDir, SCRATCH_PREFIX);
    } catch (IOException e) {
      throw SnapshotException.failed("cannot make the drill's temporary dir in " + workDir
          + " (" + e.getMessage() + "): give --work-dir a writable dir", e);
    }
    Timer timer = new Timer(started);
    Result result;
    try {
      result = drill(source, recordedSha256, etcd, etcdutl, scratch, timer, identities);
    } finally {
      deleteTree(scratch);
    }
    // the total counts the stop and the clean-up too
    return new Result(result.report().withTimings(timer.timings()), result.problem());
  }

  private Result drill(Source source, String recordedSha256, Path etcd, Path etcdutl,
      Path scratch, Timer timer, AgeIdentities identities) {
    requireRoom(source, scratch);
    // 1. one read: the sha256 recorded, etcd's trailer; a raw copy when needed
    String base = strip(strip(source.name(), SnapshotName.AGE_SUFFIX), SnapshotName.ZIP_SUFFIX);
    Path raw = source.localFile() != null ? source.localFile() : scratch.resolve(base);
    SnapshotVerifier.Verdict verdict = check(source, raw, identities);
    timer.check = timer.lap();
    DrillReport checked = report(source, verdict.sha256(), verdict.size(), null, null, null,
        timer);
    if (recordedSha256 != null && !recordedSha256.equalsIgnoreCase(verdict.sha256())) {
      return new Result(checked, "snapshot " + source.name() + " at " + source.location()
          + " has sha256 " + verdict.sha256() + ", but " + recordedSha256.toLowerCase()
          + " was recorded when it was taken: its bytes changed since (corrupted or "
          + "replaced), so it is not the snapshot that was taken; etcd was not started on it");
    }
    if (!verdict.ok()) {
      return new Result(checked, "snapshot " + source.name() + " at " + source.location()
          + " " + verdict.problem() + "; etcd was not started on it");
    }
    // 2.-3. restore, serve, read back; new ports when another process took them meanwhile
    for (int attempt = 1; ; attempt++) {
      Path data = scratch.resolve("data-" + attempt);
      try (ThrowawayEtcd member = new ThrowawayEtcd(etcd, data,
          scratch.resolve("etcd-" + attempt + ".log"))) {
        String refused = restore(etcdutl, raw, member, scratch);
        timer.restore = timer.lap();
        if (refused != null) {
          return new Result(checked, "etcdutl snapshot restore refused snapshot "
              + source.name() + ": " + refused);
        }
        try {
          member.start(timeout);
        } catch (SnapshotException e) {
          if (attempt < ATTEMPTS && e.getMessage().contains("address already in use")) {
            LOG.info("the drill's ports were taken meanwhile; again with others");
            continue;
          }
          return new Result(checked, "etcd v3.6 did not serve the restored snapshot "
              + source.name() + ": " + e.getMessage());
        }
        timer.start = timer.lap();
        ResourceTypes types = new ResourceTypes();
        ThrowawayEtcd.Read read;
        String version;
        try {
          read = member.readAll(ResourceTypes.PREFIX, types::add);
          version = member.version();
        } catch (IOException e) {
          return new Result(checked, "the restored etcd did not read back: " + e.getMessage());
        }
        timer.read = timer.lap();
        member.close();
        LOG.info("drill of {} passed: revision {}, {} keys under {} in {} types",
            source.name(), read.revision(), types.total(), ResourceTypes.PREFIX,
            types.types());
        return new Result(new DrillReport(source.name(), source.location(), verdict.sha256(),
            verdict.size(), version, read.revision(), types.total(), types.types(),
            types.top(TOP), timer.timings()), null);
      }
    }
  }

  /** Reads the stored bytes once; writes the raw stream to {@code raw} unless it is the file. */
  private static String strip(String name, String suffix) {
    return name.endsWith(suffix) ? name.substring(0, name.length() - suffix.length()) : name;
  }

  private SnapshotVerifier.Verdict check(Source source, Path raw, AgeIdentities identities) {
    progress.start("checking " + source.name(), source.size());
    try (InputStream in = source.opener().open();
        OutputStream copy = source.localFile() != null ? null : new BufferedOutputStream(
            Files.newOutputStream(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 20)) {
      return SnapshotVerifier.verify(source.name(), in, progress, identities, null, copy);
    } catch (IOException e) {
      throw SnapshotException.failed("cannot read " + source.location() + " ("
          + e.getMessage() + ")", e);
    }
  }

  /** Room for the raw copy (when one is made) and the restored data, with a margin. */
  private static void requireRoom(Source source, Path scratch) {
    if (source.size() < 0) {
      return;
    }
    long copies = source.localFile() != null ? 1 : source.name().endsWith(SnapshotName.ZIP_SUFFIX)
        ? 4 : 2; // a zip's raw stream is larger than the zip
    long needed = copies * source.size() + (128L << 20);
    try {
      long free = Files.getFileStore(scratch).getUsableSpace();
      if (free < needed) {
        throw SnapshotException.failed("the drill's temporary dir " + scratch.getParent()
            + " has " + (free >> 20) + " MiB free, but drilling " + source.name() + " ("
            + (source.size() >> 20) + " MiB) needs about " + (needed >> 20) + " MiB; nothing "
            + "was restored", null);
      }
    } catch (IOException e) {
      LOG.debug("cannot tell the free space of {}: {}", scratch, e.toString());
    }
  }

  /** Runs etcdutl snapshot restore; null when it succeeded, else the end of its output. */
  private String restore(Path etcdutl, Path raw, ThrowawayEtcd member, Path scratch) {
    List<String> command = new ArrayList<>(List.of(etcdutl.toString(), "snapshot", "restore",
        raw.toString()));
    command.addAll(member.restoreFlags());
    Path log = scratch.resolve("etcdutl.log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(scratch.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
    try {
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return "it did not finish within " + timeout.toSeconds() + " s and was killed";
      }
      if (p.exitValue() != 0) {
        String out = Files.readString(log, StandardCharsets.UTF_8).strip();
        return "exit " + p.exitValue() + ": " + (out.length() > 600 ? "..."
            + out.substring(out.length() - 600) : out);
      }
      return null;
    } catch (IOException e) {
      throw SnapshotException.failed("cannot run " + etcdutl + " (" + e.getMessage() + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw SnapshotException.failed("interrupted while restoring the drill's snapshot", e);
    }
  }

  private static DrillReport report(Source source, String sha256, long size, Long revision,
      Long keys, String version, Timer timer) {
    return new DrillReport(source.name(), source.location(), sha256, size, version, revision,
        keys, null, null, timer.timings());
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // reported below if the dir stays
        }
      });
    } catch (IOException | java.io.UncheckedIOException e) {
      LOG.warn("could not remove the drill's temporary dir {}: {}", root, e.toString());
    }
    if (Files.exists(root)) {
      LOG.warn("the drill's temporary dir {} is left: remove it by hand", root);
    }
  }

  /** Seconds per step. */
  private static final class Timer {
    private final long started;
    private long last;
    Double check;
    Double restore;
    Double start;
    Double read;

    Timer(long started) {
      this.started = started;
      this.last = started;
    }

    double lap() {
      long now = System.nanoTime();
      double s = (now - last) / 1e9;
      last = now;
      return Math.round(s * 1000) / 1000.0;
    }

    DrillReport.Timings timings() {
      return new DrillReport.Timings(check, restore, start, read,
          Math.round((System.nanoTime() - started) / 1e6) / 1000.0);
    }
  }
}
