package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exact commands the real host runs, against stand-in {@code systemctl} and {@code k3s}
 * executables (fakes, named as such) that record their arguments.
 */
class K3sHostTest {

  @TempDir
  Path root;

  private Path calls;
  private Path dataDir;
  private K3sHost host;

  private void standIn(String name, String body) throws Exception {
    Path bin = Files.createDirectories(root.resolve("bin"));
    Path exe = bin.resolve(name);
    Files.writeString(exe, "#!/bin/sh\necho \"" + name + " $*\" >> " + calls + "\n" + body);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @BeforeEach
  void fakeHost() throws Exception {
    calls = root.resolve("calls.log");
    dataDir = root.resolve("var/lib/rancher/k3s");
    Files.createDirectories(dataDir.resolve("server/db/etcd"));
    standIn("systemctl", "exit 0\n");
    standIn("k3s", "mv " + dataDir + "/server/db/etcd " + dataDir + "/server/db/etcd-old-1700000000\n"
        + "mkdir " + dataDir + "/server/db/etcd\n"
        + "echo 'Managed etcd cluster membership has been reset, restart without --cluster-reset"
        + " flag now. Backup and delete ${datadir}/server/db on each peer etcd server and rejoin"
        + " the nodes'\n");
    // the stand-ins come first on PATH, as nsenter would find the host's real ones
    host = new K3sHost(List.of("env", "PATH=" + root.resolve("bin") + ":/usr/bin:/bin"),
        dataDir, "k3s", Clock.fixed(Instant.ofEpochSecond(1_800_000_000L), ZoneOffset.UTC));
  }

  @Test
  void runsTheCommandsOfK3sRestoreGuide() throws Exception {
    host.stopK3s();
    Path old = host.clusterReset(Path.of("/var/lib/rancher/k3s/server/db/snapshots/s-1"));
    host.startK3s();

    assertThat(Files.readAllLines(calls)).containsExactly(
        "systemctl stop k3s",
        "k3s server --cluster-reset --cluster-reset-restore-path="
            + "/var/lib/rancher/k3s/server/db/snapshots/s-1 --data-dir " + dataDir,
        "systemctl start k3s");
    assertThat(old).isEqualTo(dataDir.resolve("server/db/etcd-old-1700000000"));
  }

  @Test
  void productionEntersTheHostsNamespaces() {
    assertThat(K3sHost.NSENTER).containsExactly("nsenter", "--target", "1", "--mount", "--uts",
        "--ipc", "--net", "--pid", "--");
  }

  @Test
  void peersMoveTheirDbAsideInsteadOfDeletingIt() throws Exception {
    Path aside = host.moveDbAside();

    assertThat(aside).isEqualTo(dataDir.resolve("server/db-old-1800000000"));
    assertThat(aside.resolve("etcd")).isDirectory();
    assertThat(dataDir.resolve("server/db")).doesNotExist();
  }

  @Test
  void aFailedResetSaysWhatK3sPrinted() throws Exception {
    standIn("k3s", "echo 'level=fatal msg=\"starting kubernetes: token mismatch\"'\nexit 1\n");

    assertThatThrownBy(() -> host.clusterReset(Path.of("/x")))
        .isInstanceOf(RestoreException.class)
        .hasMessageContaining("k3s server --cluster-reset exited 1")
        .hasMessageContaining("token mismatch");
  }
}
