package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.api.v1alpha1.StepState;
import dev.k3sbackup.contract.RestoreStep;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdBackedHost;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Hashes;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The restoring server's steps against a real etcd standing for K3s. */
class ServerRestoreIT {

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private Map<String, String> before;
  private Path snapshot;

  @BeforeEach
  void snapshotThenMoreWrites() throws Exception {
    etcd = EtcdProcess.start(work);
    before = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      etcd.put("/registry/before/" + i, "v" + i);
      before.put("/registry/before/" + i, "v" + i);
    }
    Path dir = work.resolve("snapshots");
    Cli.Run run = new Cli().at(Instant.parse("2026-11-21T12:00:00Z")).run("save", "--endpoints",
        etcd.endpoint(), "--dir", dir.toString(), "--node-name", "server-1");
    assertThat(run.exitCode()).as(run.all()).isZero();
    try (var files = Files.list(dir)) {
      snapshot = files.findFirst().orElseThrow();
    }
    etcd.put("/registry/after/deployment", "made after the snapshot");
  }

  @AfterEach
  void stop() {
    etcd.close();
  }

  private RestoreJournal journal() {
    return RestoreJournal.open(work.resolve("journal/restore.json"), Clock.systemUTC());
  }

  @Test
  void restoresTheSnapshotsStateAndKeepsTheOldData() throws Exception {
    EtcdBackedHost host = new EtcdBackedHost(etcd);

    new ServerRestore(host, journal()).run(new ServerRestore.Plan(snapshot,
        Hashes.sha256(snapshot)));

    assertThat(etcd.all()).isEqualTo(before);
    assertThat(work.resolve("etcd-old-1")).isDirectory();
    assertThat(journal().entries()).filteredOn(e -> e.state() == StepState.Done)
        .extracting(RestoreJournal.Entry::step).containsExactlyElementsOf(
            RestoreStep.SINGLE_SERVER);
  }

  @Test
  void aCorruptedSnapshotIsRefusedBeforeAnythingIsStopped() throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
      f.seek(f.length() / 2);
      int b = f.read();
      f.seek(f.length() / 2);
      f.write(b ^ 1);
    }
    EtcdBackedHost host = new EtcdBackedHost(etcd);

    assertThatThrownBy(() -> new ServerRestore(host, journal()).run(
        new ServerRestore.Plan(snapshot, null)))
        .isInstanceOf(RestoreException.class).hasMessageContaining("does not match")
        .hasMessageContaining("nothing was stopped");

    assertThat(host.stops()).isZero();
    assertThat(etcd.all()).containsKey("/registry/after/deployment");
    assertThat(journal().last()).hasValueSatisfying(e -> {
      assertThat(e.step()).isEqualTo(RestoreStep.VERIFY);
      assertThat(e.state()).isEqualTo(StepState.Failed);
    });
  }

  @Test
  void aSnapshotWithAnotherSha256ThanRecordedIsRefused() throws Exception {
    EtcdBackedHost host = new EtcdBackedHost(etcd);

    assertThatThrownBy(() -> new ServerRestore(host, journal()).run(
        new ServerRestore.Plan(snapshot, "0".repeat(64))))
        .hasMessageContaining("was recorded when it was taken");
    assertThat(host.stops()).isZero();
  }

  @Test
  void anAgentKilledAfterTheResetResumesWithoutResettingAgain() throws Exception {
    EtcdBackedHost real = new EtcdBackedHost(etcd);
    NodeHost dyingAfterReset = new NodeHost() {
      @Override
      public void stopK3s() {
        real.stopK3s();
      }

      @Override
      public void startK3s() {
        throw new IllegalStateException("agent killed");
      }

      @Override
      public Path clusterReset(Path s) {
        return real.clusterReset(s);
      }

      @Override
      public void undoReset(Path movedAside) {
        real.undoReset(movedAside);
      }

      @Override
      public Path moveDbAside() {
        return real.moveDbAside();
      }
    };
    assertThatThrownBy(() -> new ServerRestore(dyingAfterReset, journal()).run(
        new ServerRestore.Plan(snapshot, null))).hasMessageContaining("agent killed");

    new ServerRestore(real, journal()).run(new ServerRestore.Plan(snapshot, null));

    assertThat(real.resets()).isEqualTo(1);
    assertThat(etcd.all()).isEqualTo(before);
  }
}
