package dev.k3sbackup.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdV36;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Tamper;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's {@code drill} on real snapshots of etcd v3.6 (the etcd K3s v1.34 embeds), restored
 * with the real etcdutl and served by a real throwaway etcd: a good snapshot passes with the
 * keys it holds counted per resource type, one whose bytes changed after its sha256 was recorded
 * fails with that reason before etcd starts, and nothing is left behind.
 */
class RestoreDrillIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension
  static final org.gaul.s3proxy.junit.S3ProxyExtension S3_SERVER =
      dev.k3sbackup.testing.S3Fixture.server();
  private static final String NAME = "on-demand-n1-1700000000";

  @TempDir
  static Path shared;

  @TempDir
  Path work;

  static Path bin;
  static Path snapshots;
  static long revision;
  static String sha256;

  @BeforeAll
  static void saveASnapshotOfEtcd36WithKnownKeys() throws Exception {
    bin = EtcdV36.binaries();
    snapshots = Files.createDirectories(shared.resolve("snapshots"));
    try (EtcdV36.Server etcd = EtcdV36.Server.start(shared.resolve("source"), "source")) {
      for (int i = 0; i < 7; i++) {
        etcd.etcdctlOk("put", "/registry/configmaps/default/cm-" + i, "v");
      }
      for (int i = 0; i < 3; i++) {
        etcd.etcdctlOk("put", "/registry/secrets/kube-system/s-" + i, "v");
      }
      etcd.etcdctlOk("put", "/registry/namespaces/default", "v");
      etcd.etcdctlOk("put", "/registry/k3sbackup.dev/etcdsnapshots/default/a", "v");
      etcd.etcdctlOk("put", "/registry/k3sbackup.dev/etcdsnapshots/default/b", "v");
      etcd.etcdctlOk("put", "/not-kubernetes/x", "v");
      revision = etcd.revision();
      etcd.etcdctlOk("snapshot", "save", snapshots.resolve(NAME).toString());
    }
    sha256 = Hashes.sha256(snapshots.resolve(NAME));
  }

  private dev.k3sbackup.testing.S3Fixture s3;

  /** A bucket in each test's S3 server (whose clean-up expects its dir to exist). */
  @org.junit.jupiter.api.BeforeEach
  void bucket() throws Exception {
    s3 = new dev.k3sbackup.testing.S3Fixture(S3_SERVER.getUri()).bucket("drills");
  }

  private Cli.Run drill(String name, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("drill", name, "--dir",
        snapshots.toString(), "--etcd-bin-dir", bin.toString(), "--work-dir", work.toString()));
    args.addAll(List.of(more));
    return new Cli().run(args);
  }

  @Test
  void aGoodSnapshotPassesWithItsRevisionAndKeysPerResourceType() throws Exception {
    Cli.Run run = drill(NAME, "--sha256", sha256, "-o", "json");

    assertThat(run.exitCode()).as(run.all()).isZero();
    JsonNode r = JSON.readTree(run.out());
    assertThat(r.path("name").asText()).isEqualTo(NAME);
    assertThat(r.path("sha256").asText()).isEqualTo(sha256);
    assertThat(r.path("revision").asLong()).isEqualTo(revision);
    assertThat(r.path("etcdVersion").asText()).startsWith("3.6.");
    assertThat(r.path("keys").asLong()).isEqualTo(13);
    assertThat(r.path("resourceTypes").asInt()).isEqualTo(4);
    Map<String, Long> counts = new HashMap<>();
    r.path("keyCounts").forEach(c -> counts.put(c.path("resource").asText(),
        c.path("count").asLong()));
    assertThat(counts).containsExactlyInAnyOrderEntriesOf(Map.of("configmaps", 7L,
        "secrets", 3L, "namespaces", 1L, "etcdsnapshots.k3sbackup.dev", 2L));
    assertThat(r.path("keyCounts").get(0).path("resource").asText()).isEqualTo("configmaps");
    assertThat(r.path("timings").path("total").asDouble()).isPositive();
    assertThat(list(work)).as("the throwaway etcd's data dir is removed").isEmpty();
    assertThat(Hashes.sha256(snapshots.resolve(NAME))).as("the snapshot is untouched")
        .isEqualTo(sha256);
  }

  @Test
  void theTableSaysPassedWithTheCounts() {
    Cli.Run run = drill(NAME);

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).startsWith("PASSED " + NAME + ": restored into etcd 3.6.")
        .contains("revision " + revision)
        .contains("13 keys under /registry/ in 4 resource types (configmaps 7, secrets 3, "
            + "etcdsnapshots.k3sbackup.dev 2, namespaces 1)");
  }

  @Test
  void anEncryptedSnapshotIsDecryptedWithTheIdentityAndWithoutItTheDrillSaysWhatItNeeds()
      throws Exception {
    Path identity = dev.k3sbackup.testing.AgeKeys.keygen(work.resolve("identity.txt"));
    Path other = dev.k3sbackup.testing.AgeKeys.keygen(work.resolve("other.txt"));
    String encName = NAME + ".age";
    Path enc = snapshots.resolve(encName);
    var recipients = dev.k3sbackup.encryption.AgeRecipients.parse(
        dev.k3sbackup.testing.AgeKeys.publicKey(identity), "test");
    try (OutputStream out = recipients.encrypting(Files.newOutputStream(enc))) {
      Files.copy(snapshots.resolve(NAME), out);
    }
    Path scratch = Files.createDirectories(work.resolve("scratch"));
    try {
      Cli.Run run = new Cli().run("drill", encName, "--dir", snapshots.toString(),
          "--etcd-bin-dir", bin.toString(), "--work-dir", scratch.toString(), "--sha256",
          Hashes.sha256(enc), "--decrypt-identity-file", identity.toString(), "-o", "json");
      assertThat(run.exitCode()).as(run.all()).isZero();
      JsonNode r = JSON.readTree(run.out());
      assertThat(r.path("sha256").asText()).as("of the stored, encrypted bytes")
          .isEqualTo(Hashes.sha256(enc));
      assertThat(r.path("revision").asLong()).isEqualTo(revision);
      assertThat(r.path("keys").asLong()).isEqualTo(13);
      assertThat(list(scratch)).as("no plaintext left behind").isEmpty();

      Cli.Run none = new Cli().run("drill", encName, "--dir", snapshots.toString(),
          "--etcd-bin-dir", bin.toString(), "--work-dir", scratch.toString());
      assertThat(none.exitCode()).as(none.all()).isNotZero();
      assertThat(none.out()).contains("FAILED " + encName).contains("encrypted with age")
          .contains("--decrypt-identity-file").contains("etcd was not started");

      Cli.Run wrong = new Cli().run("drill", encName, "--dir", snapshots.toString(),
          "--etcd-bin-dir", bin.toString(), "--work-dir", scratch.toString(),
          "--decrypt-identity-file", other.toString());
      assertThat(wrong.exitCode()).as(wrong.all()).isNotZero();
      assertThat(wrong.out()).contains("cannot be decrypted").contains("etcd was not started");
      assertThat(list(scratch)).isEmpty();
    } finally {
      Files.delete(enc);
    }
  }

  @Test
  void k3sCompressedSnapshotIsDrilledFromItsOneEntry() throws Exception {
    String zipName = "etcd-snapshot-n1-1700000001.zip";
    Path zip = snapshots.resolve(zipName);
    try (OutputStream file = Files.newOutputStream(zip);
        ZipOutputStream out = new ZipOutputStream(file)) {
      out.putNextEntry(new ZipEntry("etcd-snapshot-n1-1700000001"));
      Files.copy(snapshots.resolve(NAME), out);
      out.closeEntry();
    }
    try {
      Cli.Run run = drill(zipName, "--sha256", Hashes.sha256(zip), "-o", "json");

      assertThat(run.exitCode()).as(run.all()).isZero();
      JsonNode r = JSON.readTree(run.out());
      assertThat(r.path("revision").asLong()).isEqualTo(revision);
      assertThat(r.path("keys").asLong()).isEqualTo(13);
      assertThat(list(work)).isEmpty();
    } finally {
      Files.delete(zip);
    }
  }

  @Test
  void anS3CopyIsFetchedIntoTheWorkDirAndDrilledWithItsK3sMetadata() throws Exception {
    String name = "etcd-snapshot-n1-1700000003";
    s3.putAsK3s("drills", "cluster-a/" + name, snapshots.resolve(NAME), "n1");
    List<String> args = new java.util.ArrayList<>(List.of("drill", name, "--from", "s3",
        "--dir", work.resolve("no-local-dir").toString(), "--etcd-bin-dir", bin.toString(),
        "--work-dir", work.toString(), "--sha256", sha256, "-o", "json"));
    args.addAll(s3.flags("drills", "cluster-a"));

    Cli.Run run = new Cli().run(args);

    assertThat(run.exitCode()).as(run.all()).isZero();
    JsonNode r = JSON.readTree(run.out());
    assertThat(r.path("source").asText()).startsWith("s3://drills/cluster-a/" + name);
    assertThat(r.path("revision").asLong()).isEqualTo(revision);
    assertThat(r.path("keys").asLong()).isEqualTo(13);
    assertThat(list(work)).as("the fetched copy is gone too").isEmpty();
  }

  @Test
  void bytesAlteredAfterTheSha256WasRecordedFailWithThatReasonAndEtcdNeverStarts()
      throws Exception {
    String altered = "on-demand-n1-1700000002";
    Path file = snapshots.resolve(altered);
    Files.copy(snapshots.resolve(NAME), file);
    Tamper.flipOneByte(file);
    try {
      Cli.Run run = drill(altered, "--sha256", sha256);

      assertThat(run.exitCode()).isNotZero();
      assertThat(run.out()).startsWith("FAILED " + altered + ": ")
          .contains("but " + sha256 + " was recorded when it was taken")
          .contains("its bytes changed since")
          .contains("etcd was not started on it");
      assertThat(list(work)).isEmpty();

      // with no sha256 recorded, etcd's own trailer still catches it
      Cli.Run unrecorded = drill(altered);
      assertThat(unrecorded.exitCode()).isNotZero();
      assertThat(unrecorded.out()).startsWith("FAILED " + altered + ": ")
          .contains("etcd was not started on it");
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void withoutEtcdTheDrillSaysWhatItNeeds() {
    Cli.Run run = new Cli().run("drill", NAME, "--dir", snapshots.toString(),
        "--etcd-bin-dir", work.resolve("nowhere").toString());

    assertThat(run.exitCode()).isNotZero();
    assertThat(run.all()).contains("a drill needs etcd v3.6's etcd")
        .contains("--etcd-bin-dir");
  }

  private static List<String> list(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
