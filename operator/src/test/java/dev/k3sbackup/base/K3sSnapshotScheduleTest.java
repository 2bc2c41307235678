package dev.k3sbackup.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * K3s's own schedule as its server flags set it, read from what K3s passes around: the
 * {@code k3s.io/node-args} annotation, config.yaml with its drop-ins, and the k3s unit.
 */
class K3sSnapshotScheduleTest {

  @Test
  void withoutFlagsK3sTakesItsDefaultSnapshots() {
    K3sSnapshotSchedule k3s = K3sSnapshotSchedule.fromServerArgs(
        List.of("server", "--cluster-init", "true"), "node-args");
    assertThat(k3s.enabled()).isTrue();
    assertThat(k3s.cron()).isEqualTo("0 */12 * * *");
    assertThat(k3s.retention()).isEqualTo(5);
    assertThat(k3s.prefix()).isEqualTo("etcd-snapshot");
  }

  @Test
  void readsNodeArgsAsK3sWritesThem() {
    // config.yaml keys as "--key","value"; a bare CLI boolean stays one token
    K3sSnapshotSchedule off = K3sSnapshotSchedule.fromServerArgs(List.of("server",
        "--cluster-init", "--etcd-disable-snapshots", "--etcd-s3", "true",
        "--etcd-s3-secret-key", "********"), "node-args");
    assertThat(off.enabled()).isFalse();
    assertThat(off.s3()).isTrue();
    K3sSnapshotSchedule fromConfig = K3sSnapshotSchedule.fromServerArgs(List.of("server",
        "--etcd-disable-snapshots", "false", "--etcd-snapshot-schedule-cron", "*/30 * * * *",
        "--etcd-snapshot-retention", "12", "--etcd-snapshot-name", "nightly"), "node-args");
    assertThat(fromConfig.enabled()).isTrue();
    assertThat(fromConfig.cron()).isEqualTo("*/30 * * * *");
    assertThat(fromConfig.retention()).isEqualTo(12);
    assertThat(fromConfig.prefix()).isEqualTo("nightly");
    assertThat(K3sSnapshotSchedule.fromServerArgs(List.of("server",
        "--etcd-disable-snapshots=true"), "unit").enabled()).isFalse();
  }

  @Test
  void k3sRetentionIsAPlainPrefixMatchSoOursNeverStartsWithK3ss() {
    // K3s keeps files whose name merely starts with its prefix: etcd-snapshot-foo is counted
    assertThat(SnapshotName.prefixesCollide("etcd-snapshot", "etcd-snapshot")).isTrue();
    assertThat(SnapshotName.prefixesCollide("etcd-snapshot-weekly", "etcd-snapshot")).isTrue();
    assertThat(SnapshotName.prefixesCollide("etcd-snapshots", "etcd-snapshot")).isTrue();
    assertThat(SnapshotName.prefixesCollide("on-demand-x", "on-demand")).isTrue();
    // our prune counts <prefix>-*: a K3s prefix that starts with ours and a dash would be ours
    assertThat(SnapshotName.prefixesCollide("etcd", "etcd-snapshot")).isTrue();
    for (String ours : List.of(SnapshotName.SCHEDULED_PREFIX, SnapshotName.ON_DEMAND_PREFIX,
        SnapshotName.SAFETY_PREFIX)) {
      for (String k3s : List.of(SnapshotName.K3S_SCHEDULED_PREFIX,
          SnapshotName.K3S_ON_DEMAND_PREFIX)) {
        assertThat(SnapshotName.prefixesCollide(ours, k3s)).as(ours + " vs " + k3s).isFalse();
      }
    }
    // and ours among themselves
    assertThat(SnapshotName.prefixesCollide(SnapshotName.SCHEDULED_PREFIX,
        SnapshotName.SAFETY_PREFIX)).isFalse();
    assertThat(SnapshotName.prefixesCollide(SnapshotName.ON_DEMAND_PREFIX,
        SnapshotName.SCHEDULED_PREFIX)).isFalse();
  }

  @Test
  void theCommandLineWinsOverConfigYamlAndItsDropIns(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, "cluster-init: true\netcd-snapshot-retention: 3\n");
    Files.createDirectories(dir.resolve("config.yaml.d"));
    Files.writeString(dir.resolve("config.yaml.d/50-backup.yaml"),
        "etcd-disable-snapshots: true\n");
    List<String> args = K3sSnapshotSchedule.serverArgs(K3sConfig.read(config),
        List.of("/usr/local/bin/k3s", "server", "--etcd-snapshot-retention=9"));
    K3sSnapshotSchedule k3s = K3sSnapshotSchedule.fromServerArgs(args, "files");
    assertThat(k3s.enabled()).isFalse();
    assertThat(k3s.retention()).isEqualTo(9);
  }

  @Test
  void aSystemdUnitAsK3ssInstallScriptWritesIt() {
    K3sServiceUnit unit = K3sServiceUnit.parse("""
        [Unit]
        Description=Lightweight Kubernetes
        [Service]
        Type=notify
        EnvironmentFile=-/etc/default/%N
        EnvironmentFile=-/etc/systemd/system/k3s.service.env
        Environment="K3S_CONFIG_FILE=/opt/k3s/config.yaml" "OTHER=1"
        ExecStartPre=-/sbin/modprobe br_netfilter
        ExecStart=/usr/local/bin/k3s \\
            server \\
        \t'--cluster-init' \\
        \t'--etcd-disable-snapshots' \\
        \t"--node-name=server 1" \\
        """);
    assertThat(unit.commandLine()).containsExactly("/usr/local/bin/k3s", "server",
        "--cluster-init", "--etcd-disable-snapshots", "--node-name=server 1");
    assertThat(unit.environment()).containsEntry("K3S_CONFIG_FILE", "/opt/k3s/config.yaml");
    assertThat(unit.environmentFiles()).containsExactly("/etc/default/%N",
        "/etc/systemd/system/k3s.service.env");
    assertThat(K3sServiceUnit.parseEnvironmentFile("# k3s\nK3S_TOKEN='abc'\n"
        + "K3S_CONFIG_FILE=\"/etc/k3s.yaml\"\n")).containsEntry("K3S_CONFIG_FILE",
        "/etc/k3s.yaml").containsEntry("K3S_TOKEN", "abc");
    assertThat(K3sSnapshotSchedule.fromServerArgs(K3sSnapshotSchedule.serverArgs(
        K3sConfig.empty(), unit.commandLine()), "unit").enabled()).isFalse();
  }

  @Test
  void aRetentionK3sWouldRefuseIsSaid() {
    assertThatThrownBy(() -> K3sSnapshotSchedule.fromServerArgs(List.of(
        "--etcd-snapshot-retention", "five"), "config.yaml"))
        .hasMessageContaining("etcd-snapshot-retention").hasMessageContaining("five");
  }
}
