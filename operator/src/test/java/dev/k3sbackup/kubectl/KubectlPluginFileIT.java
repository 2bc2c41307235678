package dev.k3sbackup.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.Kubeconfig;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file the build makes, {@code target/kubectl-etcdsnapshot}, run as a process on its own,
 * as it runs once copied onto PATH: one executable file that needs only Java.
 */
class KubectlPluginFileIT {

  private static final Path FILE = Path.of("target/kubectl-etcdsnapshot").toAbsolutePath();
  private static final String NS = OperatorHarness.NAMESPACE;

  @TempDir
  Path work;

  private OperatorHarness cluster;
  private Path kubeconfig;

  @BeforeEach
  void start() throws Exception {
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    kubeconfig = Kubeconfig.write(work, cluster.client());
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** Runs a command with only PATH (plus {@code bin} first) and a fresh HOME. */
  private Processes.Result run(Path bin, String... command) {
    return Processes.run(List.of(command), Map.of("HOME", work.toString(),
        "PATH", bin + ":" + System.getenv("PATH")), work);
  }

  private Processes.Result plugin(String... args) {
    List<String> command = new ArrayList<>(List.of(FILE.toString()));
    command.addAll(List.of(args));
    return run(FILE.getParent(), command.toArray(String[]::new));
  }

  @Test
  void theBuiltFileIsOneExecutableThatPrintsTheVerbs() throws Exception {
    assertThat(FILE).isRegularFile().isExecutable();
    try (InputStream in = Files.newInputStream(FILE)) {
      assertThat(new String(in.readNBytes(9), StandardCharsets.US_ASCII)).isEqualTo("#!/bin/sh");
    }
    assertThat(Files.size(FILE)).isGreaterThan(Files.size(Path.of("target/k3s-etcd-backup.jar")));

    Processes.Result help = plugin("--help");

    assertThat(help.exitCode()).as(help.output()).isZero();
    assertThat(help.output()).contains("Usage: kubectl etcdsnapshot").contains("save")
        .contains("ls, list, l").contains("delete").contains("prune").contains("restore")
        .contains("describe").contains("--kubeconfig").contains("k3s-etcd-backup");
    Processes.Result saveHelp = plugin("save", "--help");
    assertThat(saveHelp.output()).contains("--snapshot-compress").contains("--s3-bucket")
        .contains("--etcd-snapshot-name").contains("--wait");
  }

  @Test
  void eachCopyKeepsItsOwnClassDataArchiveAndANewFileReplacesOnlyItsPathsOne() throws Exception {
    Path cache = work.resolve(".cache/k3s-etcd-backup");
    assertThat(plugin("--help").exitCode()).isZero();
    List<String> built = files(cache);
    assertThat(built).singleElement().asString().startsWith("kubectl-etcdsnapshot-")
        .endsWith(".jsa");

    Path bin = Files.createDirectories(work.resolve("bin"));
    Path copy = Files.copy(FILE, bin.resolve("kubectl-etcdsnapshot"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(FILE).toMillis() + 60_000));
    assertThat(run(bin, copy.toString(), "--help").exitCode()).isZero();
    assertThat(files(cache)).hasSize(2).containsAll(built);
    List<String> both = files(cache);

    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(copy).toMillis() + 60_000));
    assertThat(run(bin, copy.toString(), "--help").exitCode()).isZero();
    assertThat(files(cache)).hasSize(2).containsAll(built)
        .doesNotContainAnyElementsOf(both.stream().filter(a -> !built.contains(a)).toList());
    Processes.Result loaded = Processes.run(List.of(FILE.toString(), "--help"),
        Map.of("HOME", work.toString(), "KUBECTL_ETCDSNAPSHOT_JAVA_OPTS", "-Xlog:class+load=info"),
        work);
    assertThat(loaded.output()).contains("source: shared objects file (top)");

    Files.setLastModifiedTime(cache.resolve(built.get(0)), FileTime
        .fromMillis(System.currentTimeMillis() - 31L * 24 * 3600 * 1000));
    Files.setLastModifiedTime(copy, FileTime.fromMillis(
        Files.getLastModifiedTime(copy).toMillis() + 60_000));
    assertThat(run(bin, copy.toString(), "--help").exitCode()).isZero();
    assertThat(files(cache)).singleElement().isNotIn(both);
  }

  private static List<String> files(Path dir) throws IOException {
    try (var list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void theBuiltFileListsTheSnapshotsOfTheClusterItsKubeconfigNames() {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("nightly-1795262400");
    s.getMetadata().setNamespace(NS);
    s.setSpec(new EtcdSnapshotSpec());
    EtcdSnapshot created = cluster.client().resource(s).create();
    created.setStatus(new EtcdSnapshotStatus());
    created.getStatus().phase = SnapshotPhase.Succeeded;
    created.getStatus().snapshotName = "nightly-server-1-1795262400";
    created.getStatus().localPath =
        "/var/lib/rancher/k3s/server/db/snapshots/nightly-server-1-1795262400";
    created.getStatus().size = 20512L;
    cluster.client().resource(created).updateStatus();

    Processes.Result ls = plugin("ls", "--kubeconfig", kubeconfig.toString(), "-n", NS);

    assertThat(ls.exitCode()).as(ls.output()).isZero();
    assertThat(ls.output()).containsPattern("nightly-server-1-1795262400 +file:///var/lib/rancher/"
        + "k3s/server/db/snapshots/nightly-server-1-1795262400 +20512 +2026-11-21T12:00:00Z "
        + "+Succeeded +nightly-1795262400");

    Processes.Result refused = plugin("prune", "--snapshot-retention", "0", "--kubeconfig",
        kubeconfig.toString(), "-n", NS);
    assertThat(refused.exitCode()).isEqualTo(2);
    assertThat(refused.output()).contains("--snapshot-retention 0");
  }

  @Test
  void kubectlFindsTheFileOnPathAsItsEtcdsnapshotPlugin() {
    Assumptions.assumeTrue(Processes.run(List.of("sh", "-c", "command -v kubectl"), Map.of(),
        null).exitCode() == 0, "kubectl is not installed");
    Path bin = work.resolve("bin");
    Processes.run("mkdir", "-p", bin.toString());
    Processes.run("cp", FILE.toString(), bin.toString()); // "install": copy one file onto PATH

    Processes.Result ls = run(bin, "kubectl", "etcdsnapshot", "ls", "--kubeconfig",
        kubeconfig.toString(), "-n", NS);

    assertThat(ls.exitCode()).as(ls.output()).isZero();
    assertThat(ls.output()).contains("No EtcdSnapshots in namespace " + NS);
  }
}
