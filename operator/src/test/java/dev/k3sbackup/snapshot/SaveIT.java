package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Etcdctl;
import dev.k3sbackup.testing.TlsFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code save} against a real etcd, judged by etcd's own tools. */
class SaveIT {

  private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private EtcdProcess restored;

  @AfterEach
  void stop() {
    if (etcd != null) {
      etcd.close();
    }
    if (restored != null) {
      restored.close();
    }
  }

  private Map<String, String> writeKeys(int n) {
    Map<String, String> written = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      written.put("/registry/configmaps/default/cm-" + i, "value-" + i);
      etcd.put("/registry/configmaps/default/cm-" + i, "value-" + i);
    }
    return written;
  }

  @Test
  void savedFileIsReadAndRestoredByEtcdsOwnTools() throws Exception {
    etcd = EtcdProcess.start(work);
    Map<String, String> before = writeKeys(50);
    long revision = etcd.revision();
    Path dir = work.resolve("snapshots");

    Cli.Run run = new Cli().at(T).run("save", "--endpoints", etcd.endpoint(), "--dir",
        dir.toString(), "--node-name", "server-1", "-o", "json");

    assertThat(run.exitCode()).as(run.all()).isZero();
    Path file = dir.resolve("on-demand-server-1-" + T.getEpochSecond());
    assertThat(file).isRegularFile();
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.size(file) % 512).isEqualTo(32);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(
          file.getFileName().toString());
    }

    JsonNode record = new ObjectMapper().readTree(run.out());
    Etcdctl.SnapshotStatus status = Etcdctl.snapshotStatus(file);
    assertThat(status.revision()).isEqualTo(revision);
    assertThat(record.get("name").asText()).isEqualTo(file.getFileName().toString());
    assertThat(record.get("node").asText()).isEqualTo("server-1");
    assertThat(record.get("localPath").asText()).isEqualTo(file.toString());
    assertThat(record.get("size").asLong()).isEqualTo(Files.size(file));
    assertThat(record.get("sha256").asText()).isEqualTo(Hashes.sha256(file));
    assertThat(record.get("etcdRevision").asLong()).isEqualTo(status.revision());
    assertThat(record.get("etcdMemberId").asText()).matches("[0-9a-f]+");
    assertThat(record.get("createdAt").asText()).isEqualTo(T.toString());
    assertThat(record.get("compressed").asBoolean()).isFalse();

    etcd.put("/registry/after-the-snapshot", "must not come back");
    restored = EtcdProcess.restoreAndStart(file, work);
    assertThat(restored.all()).isEqualTo(new java.util.TreeMap<>(before));
  }

  @Test
  void compressedSnapshotIsK3sZipWithOneDeflateEntry() throws Exception {
    etcd = EtcdProcess.start(work);
    Map<String, String> before = writeKeys(20);
    Path dir = work.resolve("snapshots");

    Cli.Run run = new Cli().at(T).run("save", "--endpoints", etcd.endpoint(), "--dir",
        dir.toString(), "--node-name", "server-1", "--name", "etcd-snapshot",
        "--snapshot-compress", "-o", "json");

    assertThat(run.exitCode()).as(run.all()).isZero();
    String base = "etcd-snapshot-server-1-" + T.getEpochSecond();
    Path zip = dir.resolve(base + ".zip");
    assertThat(zip).isRegularFile();
    assertThat(dir.resolve(base)).doesNotExist();
    JsonNode record = new ObjectMapper().readTree(run.out());
    assertThat(record.get("sha256").asText()).isEqualTo(Hashes.sha256(zip));
    assertThat(record.get("compressed").asBoolean()).isTrue();

    Path unpacked = work.resolve(base);
    try (ZipFile z = new ZipFile(zip.toFile())) {
      List<? extends ZipEntry> entries = z.stream().toList();
      assertThat(entries).hasSize(1);
      assertThat(entries.get(0).getName()).isEqualTo(base);
      assertThat(entries.get(0).getMethod()).isEqualTo(ZipEntry.DEFLATED);
      try (InputStream in = z.getInputStream(entries.get(0))) {
        Files.copy(in, unpacked);
      }
    }
    assertThat(Files.size(unpacked)).isEqualTo(record.get("snapshotSize").asLong());
    assertThat(Etcdctl.snapshotStatus(unpacked).revision())
        .isEqualTo(record.get("etcdRevision").asLong());
    restored = EtcdProcess.restoreAndStart(unpacked, work);
    assertThat(restored.all()).isEqualTo(new java.util.TreeMap<>(before));
  }

  @Test
  void savesOverTlsWithK3sLayoutAndRecordsTokenHash() throws Exception {
    savesOverTlsWithK3sLayout();
  }

  /** The same through the JDK's TLS, what serves where BoringSSL's library does not load. */
  @Test
  void savesOverTheJdksTlsWhereBoringSslIsNotUsed() throws Exception {
    System.setProperty(dev.k3sbackup.etcd.EtcdTls.JDK_TLS_PROPERTY, "true");
    try {
      savesOverTlsWithK3sLayout();
    } finally {
      System.clearProperty(dev.k3sbackup.etcd.EtcdTls.JDK_TLS_PROPERTY);
    }
  }

  private void savesOverTlsWithK3sLayout() throws Exception {
    Path dataDir = work.resolve("k3s");
    TlsFiles tls = TlsFiles.generate(dataDir.resolve("server/tls/etcd"), "etcd-ca");
    Files.writeString(dataDir.resolve("server/token"),
        "K10abcdef0123456789::server:s3cr3t-token\n");
    etcd = EtcdProcess.startTls(work, tls);
    etcd.putTls("/registry/secret-free/key", "v");

    // Only the endpoint is overridden: CA, cert and key come from K3s's layout under --data-dir.
    Cli.Run run = new Cli().at(T).run("save", "--endpoints", etcd.endpoint(), "--data-dir",
        dataDir.toString(), "--node-name", "server-1", "-o", "yaml");

    assertThat(run.exitCode()).as(run.all()).isZero();
    Path file = dataDir.resolve("server/db/snapshots/on-demand-server-1-" + T.getEpochSecond());
    assertThat(Etcdctl.snapshotStatus(file).totalKeys()).isGreaterThanOrEqualTo(1);
    assertThat(run.out()).contains("tokenHash: " + ServerTokenHash.of("s3cr3t-token"));
    assertThat(run.all()).doesNotContain("s3cr3t-token");
    // K3s keeps the sidecar next to the snapshot dir
    assertThat(dataDir.resolve("server/db/.metadata/on-demand-server-1-" + T.getEpochSecond()))
        .content().contains(Hashes.sha256(file));
  }
}
