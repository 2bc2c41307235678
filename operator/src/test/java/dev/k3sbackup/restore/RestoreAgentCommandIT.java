package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdBackedHost;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Processes;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code restore-agent server}, the command a restore Job runs, on a real etcd. */
class RestoreAgentCommandIT {

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private EtcdBackedHost host;
  private Path snapshot;

  @BeforeEach
  void snapshot() throws Exception {
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/kept", "yes");
    Path dir = work.resolve("snapshots");
    assertThat(new Cli().run("save", "--endpoints", etcd.endpoint(), "--dir", dir.toString(),
        "--node-name", "server-1").exitCode()).isZero();
    try (var files = Files.list(dir)) {
      snapshot = files.findFirst().orElseThrow();
    }
    etcd.put("/registry/lost", "written after the snapshot");
    host = new EtcdBackedHost(etcd);
  }

  @AfterEach
  void stop() {
    etcd.close();
  }

  private int run(String... args) {
    var cli = RestoreAgentCommand.commandLine(new RestoreContext(Clock.systemUTC(),
        node -> host, java.util.Map.of(AgentAuth.TOKEN_ENV, "0123456789abcdef0123456789abcdef")));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    lastErr = err.toString();
    return code;
  }

  private String lastErr;

  private String[] server(String sha256) {
    return new String[] {"--data-dir", work.resolve("k3s").toString(), "--status-port",
        Integer.toString(Processes.freePort()), "--result-file", work.resolve("result").toString(),
        "--linger", "PT0S", "server", "--snapshot", snapshot.toString(), "--sha256", sha256};
  }

  @Test
  void restoresAndAReRunChangesNothing() throws Exception {
    String sha = Hashes.sha256(snapshot);

    assertThat(run(server(sha))).as(lastErr).isZero();
    assertThat(etcd.all()).containsOnlyKeys("/registry/kept");
    assertThat(work.resolve("k3s/server/k3s-etcd-backup/restore.json")).exists();
    assertThat(work.resolve("result")).content().contains("\"ok\":true")
        .contains("{\"step\":\"reset\",\"state\":\"Done\"")
        .contains("{\"step\":\"start\",\"state\":\"Done\"");

    etcd.put("/registry/new", "after the restore");
    assertThat(run(server(sha))).isZero();
    assertThat(host.resets()).isEqualTo(1);
    assertThat(etcd.all()).containsKey("/registry/new");
  }

  @Test
  void aCorruptSnapshotFailsWithTheReasonAndStopsNothing() throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
      f.seek(100);
      f.write(f.read() ^ 1);
    }

    assertThat(run(server(Hashes.sha256(snapshot)))).isEqualTo(1);

    assertThat(lastErr).contains("nothing was stopped");
    assertThat(work.resolve("result")).content().contains("\"ok\":false")
        .contains("{\"step\":\"verify\",\"state\":\"Failed\"");
    assertThat(host.stops()).isZero();
    assertThat(etcd.all()).containsKey("/registry/lost");
  }
}
