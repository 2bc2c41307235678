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
    assertThat(second.output()).containsPattern(
        "dev\\.k3sbackup\\.Main source: shared objects file \\(top\\)");

    // another verb gets its own; options and other commands get none
    assertThat(run(FILE, Map.of(), "etcd-snapshot", "verify", "--help").exitCode()).isZero();
    assertThat(run(FILE, Map.of(), "--help").output()).contains("etcd-snapshot");
    assertThat(archives()).hasSize(2).anySatisfy(a -> assertThat(a).endsWith("-verify.jsa"));
  }

  @Test
  void noArchiveWhenTurnedOffAndANewFileReplacesTheOldOnes() throws Exception {
    Processes.Result off = run(FILE, Map.of("K3S_ETCD_BACKUP_CDS", "false"), "etcd-snapshot",
        "ls", "--dir", snapshots.toString());
    assertThat(off.exitCode()).as(off.output()).isZero();
    assertThat(archives()).isEmpty();

    assertThat(run(FILE, Map.of(), "etcd-snapshot", "ls", "--dir", snapshots.toString())
        .exitCode()).isZero();
    List<String> before = archives();
    assertThat(before).hasSize(1);

    Path upgraded = Files.copy(FILE, work.resolve("k3s-etcd-backup"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Files.setLastModifiedTime(upgraded, FileTime.fromMillis(
        Files.getLastModifiedTime(FILE).toMillis() + 60_000));
    Processes.Result next = run(upgraded, Map.of(), "etcd-snapshot", "ls", "--dir",
        snapshots.toString());
    assertThat(next.exitCode()).as(next.output()).isZero();
    assertThat(archives()).hasSize(1).doesNotContainAnyElementsOf(before);
  }
}
