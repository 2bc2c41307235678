package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.cli.EtcdSnapshotCommand;
import dev.k3sbackup.storage.S3Config;
import dev.k3sbackup.storage.S3SnapshotStore;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Etcdctl;
import dev.k3sbackup.testing.FaultyProxy;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.S3Fixture;
import io.minio.StatObjectResponse;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code save --s3} against a real etcd and an in-process S3 server. */
class S3SaveIT {

  private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");
  private static final String BUCKET = "backups";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private EtcdProcess restored;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket(BUCKET);
    etcd = EtcdProcess.start(work);
  }

  @AfterEach
  void stop() {
    etcd.close();
    if (restored != null) {
      restored.close();
    }
  }

  private Map<String, String> writeKeys(int n, int valueBytes) {
    Map<String, String> written = new TreeMap<>();
    String pad = "x".repeat(valueBytes);
    for (int i = 0; i < n; i++) {
      written.put("/registry/k" + i, pad + i);
      etcd.put("/registry/k" + i, pad + i);
    }
    return written;
  }

  private List<String> save(Path dir, String... extra) {
    return Cli.args(Cli.args(List.of("save", "--endpoints", etcd.endpoint(), "--dir",
        dir.toString(), "--node-name", "server-1", "-o", "json"), extra),
        s3.flags(BUCKET, "k3s").toArray(String[]::new));
  }

  @Test
  void uploadsObjectWithK3sMetadataAndSidecarThatRestores() throws Exception {
    Map<String, String> before = writeKeys(900, 40_000); // ~36 MB: two parts of 32 MiB
    Path dir = work.resolve("snapshots");
    Path dataDir = work.resolve("k3s");
    Files.createDirectories(dataDir.resolve("server"));
    Files.writeString(dataDir.resolve("server/token"), "K10abc::server:tok");

    Cli.Run run = new Cli().at(T).run(Cli.args(save(dir), "--data-dir", dataDir.toString()));

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.all()).doesNotContain(S3Fixture.SECRET_KEY).doesNotContain(S3Fixture.ACCESS_KEY);
    String name = "on-demand-server-1-" + T.getEpochSecond();
    assertThat(s3.keys(BUCKET)).containsExactly("k3s/.metadata/" + name, "k3s/" + name);
    JsonNode record = new ObjectMapper().readTree(run.out());
    assertThat(record.at("/s3/location").asText()).isEqualTo("s3://backups/k3s/" + name);
    assertThat(record.get("size").asLong()).isGreaterThan(8L * 1024 * 1024);

    StatObjectResponse stat = s3.stat(BUCKET, "k3s/" + name);
    assertThat(stat.userMetadata().getFirst("K3s-Node-Name")).isEqualTo("server-1");
    assertThat(stat.userMetadata().getFirst("K3s-Token-Hash"))
        .isEqualTo(ServerTokenHash.of("tok"));
    assertThat(stat.contentType()).isEqualTo("application/octet-stream");
    assertThat(s3.text(BUCKET, "k3s/.metadata/" + name))
        .contains(record.get("sha256").asText());

    Path downloaded = s3.download(BUCKET, "k3s/" + name, work.resolve("downloaded"));
    assertThat(Hashes.sha256(downloaded)).isEqualTo(record.get("sha256").asText())
        .isEqualTo(Hashes.sha256(dir.resolve(name)));
    assertThat(Etcdctl.snapshotStatus(downloaded).revision())
        .isEqualTo(record.get("etcdRevision").asLong());
    restored = EtcdProcess.restoreAndStart(downloaded, work);
    assertThat(restored.all()).isEqualTo(before);
  }

  @Test
  void compressedUploadIsTheSameZipAsTheLocalFile() throws Exception {
    writeKeys(20, 100);
    Path dir = work.resolve("snapshots");

    Cli.Run run = new Cli().at(T).run(save(dir, "--snapshot-compress"));

    assertThat(run.exitCode()).as(run.all()).isZero();
    String name = "on-demand-server-1-" + T.getEpochSecond() + ".zip";
    assertThat(s3.stat(BUCKET, "k3s/" + name).contentType()).isEqualTo("application/zip");
    Path downloaded = s3.download(BUCKET, "k3s/" + name, work.resolve(name));
    assertThat(Hashes.sha256(downloaded)).isEqualTo(Hashes.sha256(dir.resolve(name)));
    assertThat(new Cli().run("verify", downloaded.toString()).out()).startsWith("OK ");
  }

  @Test
  void failedUploadIsAbortedAndTheVerifiedLocalFileKept() throws Exception {
    writeKeys(1000, 40_000); // ~40 MB: parts of 32 MiB go from the file, the second is cut
    Path dir = work.resolve("snapshots");
    try (FaultyProxy proxy = new FaultyProxy(new InetSocketAddress("127.0.0.1", s3.port()))) {
      proxy.cutWhenSeen("partNumber=2");
      List<String> args = save(dir, "--s3-timeout", "10s");
      args.set(args.indexOf(s3.endpoint()), "127.0.0.1:" + proxy.port());

      Cli.Run run = new Cli().at(T).run(args);

      assertThat(proxy.cuts()).isPositive();
      assertThat(run.exitCode()).as(run.all()).isEqualTo(EtcdSnapshotCommand.EXIT_UPLOAD_FAILED);
      assertThat(run.err()).contains("saved and verified locally").contains("upload failed");
      assertThat(run.all()).doesNotContain(S3Fixture.SECRET_KEY);
    }
    Path file = dir.resolve("on-demand-server-1-" + T.getEpochSecond());
    assertThat(new Cli().run("verify", file.toString()).exitCode()).isZero();
    assertThat(s3.keys(BUCKET)).isEmpty();
    try (S3SnapshotStore store = S3SnapshotStore.connect(new S3Config(s3.endpoint(), null, false,
        S3Fixture.ACCESS_KEY, S3Fixture.SECRET_KEY, BUCKET, null, "k3s", true, null))) {
      assertThat(store.pendingUploads()).as("multipart uploads left behind").isZero();
    }
  }

  @Test
  void aLocalFileFailingAfterTheUploadCompletedTakesTheObjectWithIt() throws Exception {
    writeKeys(1000, 40_000); // ~40 MB: two parts from the file
    Path dir = work.resolve("snapshots");
    Path target = dir.resolve("on-demand-server-1-" + T.getEpochSecond());
    // another file takes the snapshot's name while it streams: the local commit fails, after
    // the S3 object was completed (the file's fsync overlaps the completion)
    ProgressListener intruder = new ProgressListener() {
      @Override
      public void advance(long bytesDone) {
        try {
          if (bytesDone > 1024 * 1024 && !Files.exists(target)) {
            Files.writeString(target, "not ours");
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    S3Config config = new S3Config(s3.endpoint(), null, false, S3Fixture.ACCESS_KEY,
        S3Fixture.SECRET_KEY, BUCKET, null, "k3s", true, null);
    SaveRequest request = new SaveRequest(new dev.k3sbackup.etcd.EtcdEndpoint(
        java.net.URI.create(etcd.endpoint()), null, null, null), java.time.Duration.ofSeconds(5),
        dir, "on-demand", "server-1", false, config, null, null);
    SnapshotSaver saver = new SnapshotSaver(java.time.Clock.fixed(T, java.time.ZoneOffset.UTC),
        r -> dev.k3sbackup.etcd.GrpcEtcdMember.connect(r.etcd(), r.etcdTimeout()), intruder);

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> saver.save(request))
        .isInstanceOf(dev.k3sbackup.base.SnapshotException.class)
        .hasMessageContaining("appeared while saving")
        .hasMessageContaining("the partial file was removed and the uploaded object deleted");

    assertThat(s3.keys(BUCKET)).as("no copy is kept of a save that failed").isEmpty();
    try (S3SnapshotStore store = S3SnapshotStore.connect(config)) {
      assertThat(store.pendingUploads()).isZero();
    }
    assertThat(Files.readString(target)).isEqualTo("not ours");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }
}
