package dev.k3sbackup.snapshot;

import dev.k3sbackup.base.SnapshotException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.etcd.GrpcEtcdMember;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd failing while it streams, or refusing the request: nothing partial is kept. */
class StreamFailureIT {

  @TempDir
  Path work;

  private EtcdProcess etcd;

  @AfterEach
  void stop() {
    etcd.close();
  }

  @Test
  void etcdDyingMidStreamLeavesNoFile() throws Exception {
    etcd = EtcdProcess.start(work);
    etcd.fill(48);
    Path dir = work.resolve("snapshots");
    ProgressListener killAtEightMib = new ProgressListener() {
      @Override
      public void advance(long bytesDone) {
        if (bytesDone > 8L * 1024 * 1024) {
          etcd.kill();
        }
      }
    };
    SaveRequest request = new SaveRequest(
        new dev.k3sbackup.etcd.EtcdEndpoint(java.net.URI.create(etcd.endpoint()), null, null,
            null),
        Duration.ofSeconds(5), dir, "on-demand", "server-1", false, null, null, null);
    SnapshotSaver saver = new SnapshotSaver(Clock.systemUTC(),
        r -> GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), killAtEightMib);

    assertThatThrownBy(() -> saver.save(request))
        .isInstanceOf(SnapshotException.class)
        .hasMessageContaining("was not saved")
        .hasMessageContaining("the partial file was removed");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void etcdRefusingTheRequestIsReportedWithItsReason() throws Exception {
    etcd = EtcdProcess.start(work);
    Map<String, String> api3 = Map.of("ETCDCTL_API", "3");
    for (List<String> cmd : List.of(
        List.of("etcdctl", "--endpoints", etcd.endpoint(), "user", "add", "root:pw"),
        List.of("etcdctl", "--endpoints", etcd.endpoint(), "auth", "enable"))) {
      Processes.run(cmd, api3, null).requireSuccess(cmd);
    }
    Path dir = work.resolve("snapshots");

    Cli.Run run = new Cli().run("save", "--endpoints", etcd.endpoint(), "--dir", dir.toString(),
        "--node-name", "server-1");

    assertThat(run.exitCode()).isEqualTo(EtcdSnapshotCommand.EXIT_FAILED);
    assertThat(run.err()).contains("etcd refused the snapshot (gRPC status 2: auth: user name is "
        + "empty)").contains("the partial file was removed");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }
}
