package dev.k3sbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI file the build makes, {@code target/k3s-etcd-backup}, run as a process with a fresh
 * HOME: the class-data archive its launcher keeps per {@code etcd-snapshot} verb.
 */
class CliLauncherFileIT {

  private static final Path FILE = Path.of("target/k3s-etcd-backup").toAbsolutePath();
  /** What {@code -Xlog:class+load} says when the classes come from the archive. */
  private static final String FROM_ARCHIVE =
      "dev\\.k3sbackup\\.Main source: shared objects file \\(top\\)";

  @TempDir
  Path work;

  private Path cache;
  private Path snapshots;

  @BeforeEach
  void dirs() throws IOException {
    cache = work.resolve("home/.cache/k3s-etcd-backup");
    snapshots = Files.createDirectories(work.resolve("snapshots"));
  }

  private Processes.Result run(Path file, Map<String, String> extraEnv, String... args) {
    Map<String, String> env = new HashMap<>(Map.of("HOME", work.resolve("home").toString()));
    env.putAll(extraEnv);
    List<String> command = new java.util.ArrayList<>(List.of(file.toString()));
    command.addAll(List.of(args));
    return Processes.run(command, env, work);
  }

  private List<String> archives() throws IOException {
    if (!Files.isDirectory(cache)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(cache)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void theFirstRunOfAVerbWritesItsArchiveAndLaterRunsLoadFromIt() throws Exception {
    Processes.Result first = run(FILE, Map.of(), "etcd-snapshot", "ls", "--dir",
        snapshots.toString());
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).doesNotContain("cds");
    assertThat(archives()).singleElement().asString().startsWith("k3s-etcd-backup-")
        .endsWith("-ls.jsa");

    Processes.Result second = run(FILE, Map.of("K3S_ETCD_BACKUP_JAVA_OPTS",
        "-Xlog:class+load=info"), "etcd-snapshot", "ls", "--dir", snapshots.toString());
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).containsPattern(FROM_ARCHIVE);

    // another verb gets its own; options and other commands get none
    assertThat(run(FILE, Map.of(), "etcd-snapshot", "verify", "--help").exitCode()).isZero();
    assertThat(run(FILE, Map.of(), "--help").output()).contains("etcd-snapshot");
    assertThat(archives()).hasSize(2).anySatisfy(a -> assertThat(a).endsWith("-verify.jsa"));
  }

  @Test
  void noArchiveWhenTurnedOffAndANewFileReplacesTheOldOnesAtItsPathOnly() throws Exception {
    Processes.Result off = run(FILE, Map.of("K3S_ETCD_BACKUP_CDS", "false"), "etcd-snapshot",
        "ls", "--dir", snapshots.toString());
    assertThat(off.exitCode()).as(off.output()).isZero();
    assertThat(archives()).isEmpty();

    assertThat(ls(FILE).exitCode()).isZero();
    List<String> built = archives();
    assertThat(built).hasSize(1);

    // another copy (another version, installed elsewhere) keeps an archive of its own: used in
    // turn, neither removes the other's, and both start from their own
    Path copy = Files.copy(FILE, work.resolve("k3s-etcd-backup"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(FILE).toMillis() + 60_000));
    assertThat(ls(copy).exitCode()).isZero();
    assertThat(archives()).hasSize(2).containsAll(built);
    assertThat(ls(FILE).output()).containsPattern(FROM_ARCHIVE);
    assertThat(ls(copy).output()).containsPattern(FROM_ARCHIVE);
    List<String> both = archives();
    assertThat(both).hasSize(2);

    // a new file at the same path (an upgrade in place) replaces that path's archive only
    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(copy).toMillis() + 60_000));
    assertThat(ls(copy).exitCode()).isZero();
    assertThat(archives()).hasSize(2).containsAll(built).doesNotContainAnyElementsOf(
        both.stream().filter(a -> !built.contains(a)).toList());

    // an archive no run has used for 30 days goes when the next archive is written
    Path stale = cache.resolve(built.get(0));
    Files.setLastModifiedTime(stale, FileTime.fromMillis(
        System.currentTimeMillis() - 31L * 24 * 3600 * 1000));
    Path leftover = Files.writeString(cache.resolve(built.get(0) + ".4242"), "killed run");
    Files.setLastModifiedTime(leftover, FileTime.fromMillis(
        System.currentTimeMillis() - 31L * 24 * 3600 * 1000));
    assertThat(run(copy, Map.of(), "etcd-snapshot", "verify", "--help").exitCode()).isZero();
    assertThat(archives()).hasSize(2).doesNotContain(built.get(0), built.get(0) + ".4242")
        .anySatisfy(a -> assertThat(a).endsWith("-verify.jsa"));
  }

  /** {@code etcd-snapshot ls} with Java's class loading logged. */
  private Processes.Result ls(Path file) {
    return run(file, Map.of("K3S_ETCD_BACKUP_JAVA_OPTS", "-Xlog:class+load=info"),
        "etcd-snapshot", "ls", "--dir", snapshots.toString());
  }
}
