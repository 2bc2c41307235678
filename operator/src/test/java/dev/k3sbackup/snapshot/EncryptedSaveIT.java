package dev.k3sbackup.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.testing.AgeKeys;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdV36;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code save --encrypt-recipients-file} against a real etcd 3.6, judged by Debian's {@code age}
 * (which decrypts it without our code) and etcd 3.6's own {@code etcdutl}; and a restore's
 * preflight ({@code prepare-restore}) decrypting it, or refusing a wrong or missing key.
 */
class EncryptedSaveIT {

  private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");
  private static final String BUCKET = "backups";

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdV36.Server etcd;
  private EtcdV36.Server restored;
  private S3Fixture s3;
  private Path identity;
  private Path recipients;
  private Path otherIdentity;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket(BUCKET);
    etcd = EtcdV36.Server.start(work.resolve("etcd"), "s1");
    identity = keygen("identity.txt");
    otherIdentity = keygen("other-identity.txt");
    recipients = work.resolve("recipients.txt");
    Files.writeString(recipients, "# the admins' key\n" + publicKey(identity) + "\n");
  }

  @AfterEach
  void stop() {
    etcd.close();
    if (restored != null) {
      restored.close();
    }
  }

  /** A new X25519 identity made by age-keygen, the tool an admin uses. */
  private Path keygen(String name) {
    return AgeKeys.keygen(work.resolve(name));
  }

  private static String publicKey(Path identity) {
    return AgeKeys.publicKey(identity);
  }

  private Map<String, String> writeKeys(int n) {
    Map<String, String> written = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      written.put("/registry/configmaps/default/cm-" + i, "value-" + i);
      etcd.etcdctlOk("put", "/registry/configmaps/default/cm-" + i, "value-" + i);
    }
    return written;
  }

  private Cli.Run save(Path dir, String... extra) {
    List<String> args = new ArrayList<>(List.of("save", "--endpoints", etcd.endpoint(), "--dir",
        dir.toString(), "--node-name", "server-1", "-o", "json"));
    args.addAll(List.of(extra));
    return new Cli().at(T).run(args);
  }

  @Test
  void encryptedSaveIsDecryptedByAgeAndRestoredByEtcdutl() throws Exception {
    Map<String, String> before = writeKeys(40);
    Path dir = work.resolve("snapshots");

    Cli.Run run = save(dir, "--encrypt-recipients-file", recipients.toString());

    assertThat(run.exitCode()).as(run.all()).isZero();
    String base = "on-demand-server-1-" + T.getEpochSecond();
    Path file = dir.resolve(base + ".age");
    assertThat(file).isRegularFile();
    assertThat(dir.resolve(base)).doesNotExist();
    assertThat(Files.getPosixFilePermissions(file))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
        .startsWith("age-encryption.org/v1\n").doesNotContain("value-1");
    JsonNode record = new ObjectMapper().readTree(run.out());
    assertThat(record.get("name").asText()).isEqualTo(base + ".age");
    // the sha256 and size recorded are those of the stored (encrypted) bytes
    assertThat(record.get("sha256").asText()).isEqualTo(Hashes.sha256(file));
    assertThat(record.get("size").asLong()).isEqualTo(Files.size(file));

    // Debian's age decrypts it without our code; etcd 3.6's etcdutl restores it
    Path plain = work.resolve(base);
    Processes.run("age", "--decrypt", "-i", identity.toString(), "-o", plain.toString(),
        file.toString()).requireSuccess(List.of("age --decrypt"));
    assertThat(Files.size(plain) % 512).isEqualTo(32);
    assertThat(record.get("snapshotSize").asLong()).isEqualTo(Files.size(plain));
    etcd.etcdctlOk("put", "/registry/after-the-snapshot", "must not come back");
    restored = restore(plain);
    assertThat(restored.etcdctlOk("get", "/registry/", "--prefix", "--keys-only"))
        .contains("/registry/configmaps/default/cm-39").doesNotContain("after-the-snapshot");
    assertThat(restored.etcdctlOk("get", "/registry/configmaps/default/cm-7", "--print-value-only")
        .strip()).isEqualTo(before.get("/registry/configmaps/default/cm-7"));

    // our verify decrypts with the identity; without it, it says what is missing
    Cli.Run verify = new Cli().run("verify", "--dir", dir.toString(),
        "--decrypt-identity-file", identity.toString(), base + ".age");
    assertThat(verify.exitCode()).as(verify.all()).isZero();
    assertThat(verify.out()).startsWith("OK ");
    Cli.Run noKey = new Cli().run("verify", "--dir", dir.toString(), base + ".age");
    assertThat(noKey.exitCode()).isNotZero();
    assertThat(noKey.out()).contains("is encrypted with age").contains("--decrypt-identity-file");
  }

  @Test
  void compressedAndEncryptedIsAgeAroundK3sZip() throws Exception {
    writeKeys(10);
    Path dir = work.resolve("snapshots");

    Cli.Run run = save(dir, "--snapshot-compress", "--encrypt-recipients-file",
        recipients.toString());

    assertThat(run.exitCode()).as(run.all()).isZero();
    String base = "on-demand-server-1-" + T.getEpochSecond();
    Path file = dir.resolve(base + ".zip.age");
    assertThat(file).isRegularFile();
    Path zip = work.resolve(base + ".zip");
    Processes.run("age", "-d", "-i", identity.toString(), "-o", zip.toString(), file.toString())
        .requireSuccess(List.of("age -d"));
    try (var z = new java.util.zip.ZipFile(zip.toFile())) {
      assertThat(z.stream().map(java.util.zip.ZipEntry::getName)).containsExactly(base);
    }
    assertThat(new Cli().run("verify", zip.toString()).out()).startsWith("OK ");
  }

  @Test
  void preflightDecryptsAnS3SnapshotIntoTheDirAndRefusesAWrongOrMissingKey() throws Exception {
    writeKeys(20);
    Path saveDir = work.resolve("saved");
    List<String> s3Flags = s3.flags(BUCKET, "k3s");
    List<String> saveArgs = new ArrayList<>(List.of("--encrypt-recipients-file",
        recipients.toString()));
    saveArgs.addAll(s3Flags);
    Cli.Run run = save(saveDir, saveArgs.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.all()).isZero();
    JsonNode record = new ObjectMapper().readTree(run.out());
    String name = record.get("name").asText();
    String sha256 = record.get("sha256").asText();
    assertThat(s3.keys(BUCKET)).contains("k3s/" + name);

    // the node that resets has no copy: the preflight fetches the S3 object
    Path dir = work.resolve("node-snapshots");
    Files.createDirectories(dir);
    Cli.Run wrong = prepare(dir, name, sha256, s3Flags, "--decrypt-identity-file",
        otherIdentity.toString());
    assertThat(wrong.exitCode()).isNotZero();
    assertThat(wrong.all()).contains("cannot be decrypted")
        .contains("matches none of the recipients").contains("nothing was touched")
        .doesNotContain(AgeKeys.secretKey(otherIdentity));
    assertThat(listing(dir)).isEmpty();

    Cli.Run missing = prepare(dir, name, sha256, s3Flags);
    assertThat(missing.exitCode()).isNotZero();
    assertThat(missing.all()).contains("is encrypted with age")
        .contains("--decrypt-identity-file").contains("spec.decryption.identitySecret");
    assertThat(listing(dir)).isEmpty();

    Cli.Run ok = prepare(dir, name, sha256, s3Flags, "--decrypt-identity-file",
        identity.toString());
    assertThat(ok.exitCode()).as(ok.all()).isZero();
    assertThat(ok.out()).contains("fetched from S3").contains("decrypted to");
    Path decrypted = dir.resolve("on-demand-server-1-" + T.getEpochSecond() + ".decrypted");
    assertThat(listing(dir)).containsExactly(decrypted.getFileName().toString());
    assertThat(Files.getPosixFilePermissions(decrypted))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    restored = restore(decrypted);
    assertThat(restored.etcdctlOk("get", "/registry/configmaps/default/cm-19",
        "--print-value-only").strip()).isEqualTo("value-19");
  }

  private Cli.Run prepare(Path dir, String name, String sha256, List<String> s3Flags,
      String... extra) {
    List<String> args = new ArrayList<>(List.of("prepare-restore", name, "--dir", dir.toString(),
        "--sha256", sha256, "--token-file", work.resolve("no-token").toString()));
    args.addAll(s3Flags);
    args.addAll(List.of(extra));
    return new Cli().run(args);
  }

  private static List<String> listing(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** etcd 3.6's etcdutl restores {@code snapshot} into a new member, which then serves it. */
  private EtcdV36.Server restore(Path snapshot) {
    Path into = work.resolve("restored-" + System.nanoTime());
    int peer = Processes.freePort();
    List<String> args = new ArrayList<>(List.of("snapshot", "restore", snapshot.toString()));
    args.addAll(EtcdV36.Server.restoreFlags(into, "r", "http://127.0.0.1:" + peer));
    EtcdV36.etcdutl(args.toArray(String[]::new)).requireSuccess(List.of("etcdutl restore"));
    return EtcdV36.Server.start(into, "r");
  }
}
