package dev.k3sbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.cli.CliContext;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * On a real K3s with embedded etcd: snapshots K3s makes are listed and verified by our CLI, and
 * snapshots our CLI makes (streamed from K3s's own etcd, with K3s's own client certificates) are
 * listed by {@code k3s etcd-snapshot ls}. Runs only where a Docker engine answers (it reads K3s's
 * TLS files out of the container).
 */
@NeedsRealK3s(dockerOnly = true)
class K3sSnapshotCompatibilityIT {

  private static final String IMAGE = System.getProperty("k3s.image", "rancher/k3s:v1.31.4-k3s1");
  private static final String DATA = "/var/lib/rancher/k3s";
  private static final String SNAPSHOTS = DATA + "/server/db/snapshots";

  @TempDir
  Path work;

  @Test
  void k3sAndOurSnapshotsAreInterchangeable() throws Exception {
    try (K3sContainer k3s = new K3sContainer(DockerImageName.parse(IMAGE))) {
      k3s.withCommand("server", "--cluster-init", "--disable=traefik");
      k3s.withExposedPorts(6443, 2379);
      k3s.start();

      // K3s saves; we list and verify its file.
      exec(k3s, "k3s", "etcd-snapshot", "save", "--name", "from-k3s");
      String k3sFile = exec(k3s, "sh", "-c", "ls " + SNAPSHOTS + " | grep ^from-k3s-").strip();
      Path local = Files.createDirectories(work.resolve("snapshots"));
      k3s.copyFileFromContainer(SNAPSHOTS + "/" + k3sFile, local.resolve(k3sFile).toString());
      assertThat(cli("ls", "--dir", local.toString())).contains(k3sFile);
      assertThat(cli("verify", local.resolve(k3sFile).toString())).startsWith("OK ");

      // We save from K3s's etcd with K3s's client certificates; K3s lists our file.
      Path tls = Files.createDirectories(work.resolve("k3s/server/tls/etcd"));
      for (String f : List.of("server-ca.crt", "client.crt", "client.key")) {
        k3s.copyFileFromContainer(DATA + "/server/tls/etcd/" + f, tls.resolve(f).toString());
      }
      String endpoint = "https://127.0.0.1:" + k3s.getMappedPort(2379);
      cli("save", "--endpoints", endpoint, "--data-dir", work.resolve("k3s").toString(),
          "--dir", local.toString(), "--node-name", "e2e", "--name", "from-operator");
      Path ours;
      try (var files = Files.list(local)) {
        ours = files.filter(p -> p.getFileName().toString().startsWith("from-operator-"))
            .findFirst().orElseThrow();
      }
      k3s.copyFileToContainer(MountableFile.forHostPath(ours),
          SNAPSHOTS + "/" + ours.getFileName());
      assertThat(exec(k3s, "k3s", "etcd-snapshot", "ls")).contains(ours.getFileName().toString());
    }
  }

  private static String exec(K3sContainer k3s, String... command) throws Exception {
    Container.ExecResult r = k3s.execInContainer(command);
    assertThat(r.getExitCode()).as(String.join(" ", command) + ": " + r.getStderr()).isZero();
    return r.getStdout();
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = EtcdSnapshotCommand.commandLine(CliContext.system());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(new ArrayList<>(List.of(args)).toArray(String[]::new));
    assertThat(code).as(out + "\n" + err).isZero();
    return out.toString();
  }
}
