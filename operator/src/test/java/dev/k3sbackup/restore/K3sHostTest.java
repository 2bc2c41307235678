package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.base.K3sLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact commands the real host runs, against stand-in {@code systemctl}, {@code rc-service}
 * and {@code k3s} executables (fakes, named as such) that record their arguments, and what it
 * does around them: the config copy a reset sees, stops that are verified, timeouts that fire,
 * a failed reset put back.
 */
class K3sHostTest {

  @TempDir
  Path root;

  private Path calls;
  private Path dataDir;
  private Path config;
  private final List<List<Long>> processes = new ArrayList<>();

  private void standIn(String name, String body) throws Exception {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path exe = bin.resolve(name);
    Files.writeString(exe, "#!/bin/sh\necho \"" + name + " $*\" >> " + calls + "\n" + body);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static final String RESET_DONE = "echo 'Managed etcd cluster membership has been "
      + "reset, restart without --cluster-reset flag now. Backup and delete ${datadir}/server/db "
      + "on each peer etcd server and rejoin the nodes'\n";

  @BeforeEach
  void fakeHost() throws Exception {
    calls = root.resolve("calls.log");
    dataDir = root.resolve("var/lib/rancher/k3s");
    config = root.resolve("etc/rancher/k3s/config.yaml");
    Files.createDirectories(dataDir.resolve("server/db/etcd"));
    standIn("systemctl", "exit 0\n");
    standIn("rc-service", "exit 0\n");
    standIn("k3s", "mv " + dataDir + "/server/db/etcd " + dataDir
        + "/server/db/etcd-old-1700000000\nmkdir " + dataDir + "/server/db/etcd\n"
        + "cp \"$K3S_CONFIG_FILE\" " + root.resolve("seen-config.yaml") + "\n" + RESET_DONE);
  }

  private K3sHost host(String manager, K3sHost.Timeouts timeouts) {
    // the stand-ins come first on PATH, as the host's real ones would be found there
    HostCommands commands = new HostCommands(List.of("env", "PATH=" + root.resolve("bin")
        + ":/usr/bin:/bin"));
    AtomicInteger asked = new AtomicInteger();
    ProcessTable table = () -> asked.get() < processes.size()
        ? processes.get(asked.getAndIncrement()) : List.of();
    return new K3sHost(commands, K3sLayout.of(dataDir), config, manager, "k3s",
        Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC), timeouts, table);
  }

  private K3sHost host() {
    return host("systemd", K3sHost.Timeouts.DEFAULT);
  }

  @Test
  void runsTheCommandsOfK3sRestoreGuide() throws Exception {
    K3sHost host = host();
    host.stopK3s();
    Path old = host.clusterReset(Path.of("/var/lib/rancher/k3s/server/db/snapshots/s-1"));
    host.startK3s();

    assertThat(Files.readAllLines(calls)).containsExactly(
        "systemctl stop k3s",
        "k3s server --cluster-reset --cluster-reset-restore-path="
            + "/var/lib/rancher/k3s/server/db/snapshots/s-1 --etcd-s3=false --data-dir " + dataDir,
        "systemctl start k3s");
    assertThat(old).isEqualTo(dataDir.resolve("server/db/etcd-old-1700000000"));
  }

  @Test
  void openRcNodesAreStoppedAndStartedThroughRcService() throws Exception {
    K3sHost host = host("openrc", K3sHost.Timeouts.DEFAULT);
    host.stopK3s();
    host.startK3s();

    assertThat(Files.readAllLines(calls)).containsExactly("rc-service k3s stop",
        "rc-service k3s start");
  }

  @Test
  void theResetSeesK3sConfigWithoutTheServerUrlAndWithS3OffAndTheFilesStayAsTheyWere()
      throws Exception {
    Files.createDirectories(config.getParent());
    String original = """
        # joined: S2 and S3 of an HA install
        server: https://10.0.0.1:6443
        token: K10abc::server:the-password
        etcd-s3: true
        etcd-s3-bucket: backups
        tls-san:
          - k3s.example
        """;
    Files.writeString(config, original);
    Path dropIn = Files.createDirectories(config.resolveSibling("config.yaml.d"))
        .resolve("50-s3.yaml");
    Files.writeString(dropIn, "etcd-s3-folder: cluster-a\n");
    byte[] dropInBytes = Files.readAllBytes(dropIn);

    host().clusterReset(Path.of("/snapshots/s-1"));

    String seen = Files.readString(root.resolve("seen-config.yaml"));
    assertThat(seen).doesNotContainPattern("(?m)^server:").contains("token: K10abc::server:the-password")
        .contains("etcd-s3: \"false\"").contains("etcd-s3-bucket: backups")
        .contains("etcd-s3-folder: cluster-a").contains("k3s.example");
    assertThat(Files.readString(config)).isEqualTo(original);
    assertThat(Files.readAllBytes(dropIn)).isEqualTo(dropInBytes);
    assertThat(dataDir.resolve("server/k3s-etcd-backup/cluster-reset-config.yaml"))
        .as("the copy holds the token: gone once the reset has run").doesNotExist();
  }

  @Test
  void aResetThatDiesAfterMovingTheDataSaysWhereAndUndoPutsItBack() throws Exception {
    standIn("k3s", "mv " + dataDir + "/server/db/etcd " + dataDir
        + "/server/db/etcd-old-1700000000\nmkdir -p " + dataDir + "/server/db/etcd/member\n"
        + "echo 'level=fatal msg=\"failed to restore snapshot: killed\"'\nexit 1\n");
    Files.writeString(dataDir.resolve("server/db/etcd/marker"), "the node's own data");
    K3sHost host = host();

    NodeHost.ResetFailed failed = (NodeHost.ResetFailed) org.assertj.core.api.Assertions
        .catchThrowable(() -> host.clusterReset(Path.of("/x")));
    host.undoReset(failed.movedAside());

    assertThat(failed).hasMessageContaining("k3s server --cluster-reset exited 1")
        .hasMessageContaining("failed to restore snapshot");
    assertThat(failed.movedAside()).isEqualTo(dataDir.resolve("server/db/etcd-old-1700000000"));
    assertThat(dataDir.resolve("server/db/etcd/marker")).hasContent("the node's own data");
    assertThat(dataDir.resolve("server/db/etcd-failed-reset-1800000000/member")).isDirectory();
  }

  @Test
  void aResetRefusedBeforeMovingAnythingSaysSo() throws Exception {
    standIn("k3s", "echo 'level=fatal msg=\"cannot perform cluster-reset while server URL is "
        + "set\"'\nexit 1\n");

    assertThatThrownBy(() -> host().clusterReset(Path.of("/x")))
        .isInstanceOfSatisfying(NodeHost.ResetFailed.class,
            e -> assertThat(e.movedAside()).isNull())
        .hasMessageContaining("server URL is set");
  }

  @Test
  void aStopIsOnlyDoneWhenK3sIsGone() throws Exception {
    processes.add(List.of(4242L));
    processes.add(List.of(4242L));
    K3sHost host = host();

    host.stopK3s();

    assertThat(Files.readAllLines(calls)).containsExactly("systemctl stop k3s");
  }

  @Test
  void aK3sThatOutlivesItsStopFailsTheStepNamingItsPid() throws Exception {
    for (int i = 0; i < 100; i++) {
      processes.add(List.of(4242L));
    }
    K3sHost host = host("systemd", new K3sHost.Timeouts(Duration.ofMinutes(1),
        Duration.ofSeconds(1), Duration.ofMinutes(1)));

    assertThatThrownBy(host::stopK3s).hasMessageContaining("k3s server still runs (pid [4242])");
  }

  @Test
  void aCommandThatHangsIsKilledWhenItsTimeoutFires() throws Exception {
    standIn("systemctl", "sleep 60\n");
    K3sHost host = host("systemd", new K3sHost.Timeouts(Duration.ofSeconds(1),
        Duration.ofSeconds(1), Duration.ofSeconds(1)));
    long started = System.nanoTime();

    assertThatThrownBy(host::stopK3s).hasMessageContaining("did not finish within 1 s");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void peersMoveTheirDbAsideInsteadOfDeletingIt() throws Exception {
    Path aside = host().moveDbAside();

    assertThat(aside).isEqualTo(dataDir.resolve("server/db-old-1800000000"));
    assertThat(aside.resolve("etcd")).isDirectory();
    assertThat(dataDir.resolve("server/db")).doesNotExist();
  }

  @Test
  void productionRunsInTheHostsNamespacesOutsideTheAgentsCgroups() {
    assertThat(HostCommands.NSENTER).containsExactly("nsenter", "--target", "1", "--mount",
        "--uts", "--ipc", "--net", "--pid", "--");
    assertThat(HostCommands.OUTSIDE_CONTAINER_CGROUPS.get(2))
        .contains("/sys/fs/cgroup/cgroup.procs").contains("/sys/fs/cgroup/*/cgroup.procs")
        .contains("exec \"$@\"");
  }

  @Test
  void theInitSystemIsReadFromTheHostsAnswer() {
    assertThat(K3sService.detected("systemd\n")).isEqualTo("systemd");
    assertThat(K3sService.detected("openrc")).isEqualTo("openrc");
    assertThatThrownBy(() -> K3sService.detected("unknown"))
        .hasMessageContaining("neither systemd").hasMessageContaining("nothing was stopped");
  }

  @Test
  void onlyK3sServersCountAsK3sRunning() {
    assertThat(ProcessTable.isK3sServer("/usr/local/bin/k3s\0server\0")).isTrue();
    assertThat(ProcessTable.isK3sServer("k3s\0server\0--cluster-init\0")).isTrue();
    assertThat(ProcessTable.isK3sServer("/usr/local/bin/k3s\0agent\0")).isFalse();
    assertThat(ProcessTable.isK3sServer("k3s\0server\0--cluster-reset\0")).isFalse();
    assertThat(ProcessTable.isK3sServer("containerd\0")).isFalse();
  }
}
