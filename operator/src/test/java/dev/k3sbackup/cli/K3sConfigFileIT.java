package dev.k3sbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.snapshot.ServerTokenHash;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI reads K3s's config file for its {@code etcd-snapshot} keys as {@code k3s etcd-snapshot}
 * does: the server's config.yaml (with {@code server:}, {@code token:} and other server keys,
 * skipped with K3s's warning) gives the snapshot dir, compression and S3 settings; flags win;
 * {@code K3S_CONFIG_FILE} wins over {@code --config}; drop-ins follow; K3s's
 * {@code etcd-snapshot-name} is a server key that its CLI does not take.
 */
class K3sConfigFileIT {

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("k3s-backups");
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/configmaps/default/a", "1");
  }

  @AfterEach
  void stop() {
    etcd.close();
  }

  private Path config(String yaml) throws Exception {
    Path file = work.resolve("etc/config.yaml");
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);
    return file;
  }

  private String serverConfig(Path dir) {
    return """
        server: https://10.0.0.1:6443
        token: K10abcdef::server:the-password
        cluster-init: true
        tls-san: [k3s.example]
        etcd-snapshot-name: nightly
        etcd-snapshot-schedule-cron: "0 */6 * * *"
        etcd-snapshot-dir: %s
        etcd-snapshot-compress: true
        etcd-s3: true
        etcd-s3-endpoint: "%s"
        etcd-s3-insecure: true
        etcd-s3-bucket: k3s-backups
        etcd-s3-folder: cluster-a
        etcd-s3-access-key: %s
        etcd-s3-secret-key: %s
        """.formatted(dir, s3.endpoint(), S3Fixture.ACCESS_KEY, S3Fixture.SECRET_KEY);
  }

  private static Cli cli() {
    return new Cli().at(Instant.parse("2026-11-30T12:00:00Z"));
  }

  @Test
  void aServersConfigYamlGivesTheSnapshotDirCompressionAndS3() throws Exception {
    Path dir = Files.createDirectories(work.resolve("snapshots"));
    Path file = config(serverConfig(dir));

    Cli.Run run = cli().run("save", "--config", file.toString(), "--endpoints", etcd.endpoint(),
        "--node-name", "server-1");

    assertThat(run.exitCode()).as(run.all()).isZero();
    // K3s's CLI takes no etcd-snapshot-name (the server's scheduled prefix): on-demand it is
    String name = "on-demand-server-1-" + Instant.parse("2026-11-30T12:00:00Z").getEpochSecond();
    assertThat(dir.resolve(name + ".zip")).exists();
    assertThat(s3.keys("k3s-backups")).contains("cluster-a/" + name + ".zip");
    assertThat(run.err()).contains("Unknown flag --server found in config.yaml, skipping",
        "Unknown flag --token found in config.yaml, skipping",
        "Unknown flag --etcd-snapshot-name found in config.yaml, skipping")
        .doesNotContain(S3Fixture.SECRET_KEY);
  }

  @Test
  void flagsWinOverTheFileAndTheEnvironmentNamesTheFileBeforeTheFlag() throws Exception {
    Path inFile = Files.createDirectories(work.resolve("from-file"));
    Path onFlag = Files.createDirectories(work.resolve("from-flag"));
    Path envDir = Files.createDirectories(work.resolve("from-env-file"));
    Path file = config("etcd-snapshot-dir: " + inFile + "\n");
    Path envFile = work.resolve("env-config.yaml");
    Files.writeString(envFile, "etcd-snapshot-dir: " + envDir + "\nname: envy\n");

    Cli.Run flag = cli().run("save", "--config", file.toString(), "--dir", onFlag.toString(),
        "--endpoints", etcd.endpoint(), "--node-name", "n1");
    Cli.Run env = cli().env("K3S_CONFIG_FILE", envFile.toString()).run("save", "--config",
        file.toString(), "--endpoints", etcd.endpoint(), "--node-name", "n1");

    assertThat(flag.exitCode()).as(flag.all()).isZero();
    assertThat(list(onFlag)).hasSize(1);
    assertThat(list(inFile)).isEmpty();
    assertThat(env.exitCode()).as(env.all()).isZero();
    assertThat(list(envDir)).singleElement().asString().startsWith("envy-n1-");
  }

  @Test
  void dropInsAreReadAfterTheFile() throws Exception {
    Path first = Files.createDirectories(work.resolve("first"));
    Path later = Files.createDirectories(work.resolve("later"));
    Path file = config("etcd-snapshot-dir: " + first + "\n");
    Path dropIns = Files.createDirectories(work.resolve("etc/config.yaml.d"));
    Files.writeString(dropIns.resolve("50-snapshots.yaml"), "etcd-snapshot-dir: " + later + "\n");

    Cli.Run run = cli().run("save", "-c", file.toString(), "--endpoints", etcd.endpoint(),
        "--node-name", "n1");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(list(later)).hasSize(1);
    assertThat(list(first)).isEmpty();
  }

  @Test
  void pruneTakesItsRetentionFromTheFileAndSaveWithS3RetentionPrunesS3AsK3sDoes()
      throws Exception {
    Path dir = Files.createDirectories(work.resolve("snapshots"));
    Path file = config(serverConfig(dir) + "etcd-snapshot-retention: 2\netcd-s3-retention: 1\n");
    for (int i = 0; i < 3; i++) {
      Cli.Run save = cli().at(Instant.parse("2026-11-30T12:00:00Z").plusSeconds(i)).run("save",
          "--config", file.toString(), "--endpoints", etcd.endpoint(), "--node-name", "n1");
      assertThat(save.exitCode()).as(save.all()).isZero();
    }
    // K3s's save never prunes locally, but prunes S3 when etcd-s3-retention is set
    assertThat(list(dir)).hasSize(3);
    assertThat(s3.keys("k3s-backups").stream().filter(k -> !k.contains(".metadata"))).hasSize(1);

    Cli.Run prune = cli().run("prune", "--config", file.toString());

    assertThat(prune.exitCode()).as(prune.all()).isZero();
    assertThat(list(dir)).hasSize(2);
  }

  @Test
  void theTokenFlagGivesTheTokenHash() throws Exception {
    Path dir = Files.createDirectories(work.resolve("snapshots"));

    Cli.Run run = cli().run("save", "--dir", dir.toString(), "--endpoints", etcd.endpoint(),
        "--node-name", "n1", "-t", "K10abc::server:the-password", "-o", "json");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("\"tokenHash\" : \""
        + ServerTokenHash.of("K10abc::server:the-password") + "\"");
  }

  @Test
  void logFlagsWriteTheLogToAFileAndDebugAddsDetail() throws Exception {
    Path dir = Files.createDirectories(work.resolve("snapshots"));
    Path log = work.resolve("etcd-snapshot.log");

    Cli.Run run = cli().run("save", "--dir", dir.toString(), "--endpoints", etcd.endpoint(),
        "--node-name", "n1", "--log", log.toString(), "--debug");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(log).exists();
    assertThat(Files.readString(log)).contains("INFO ").contains("DEBUG");
  }

  private static List<String> list(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
    }
  }
}
