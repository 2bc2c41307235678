package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.AgeKeys;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.S3Fixture;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An encrypted S3 snapshot through the operator as installed, on a real API server: the save Job
 * gets the age recipients mounted from their Secret (admitted, under the operator's RBAC) and
 * stores only age's ciphertext on the node and in S3, which Debian's {@code age} decrypts into a
 * file etcd 3.6's etcdutl accepts; an EtcdRestore of it whose Secret holds the wrong identity is
 * refused by the preflight on the node with nothing touched; with the right one, the preflight
 * fetches the S3 object and decrypts it into K3s's snapshot dir on the node before anything
 * stops (the restore's node steps need K3s's host, which this tier stands in for only in part:
 * they run in the mock tier, EtcdRestoreOperatorIT).
 */
class EncryptionRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static final String BUCKET = "sealed-snapshots";

  static Path identity;
  static Path other;

  @BeforeAll
  static void install() throws Exception {
    cluster.installOperator();
    identity = keygen("identity.txt");
    other = keygen("other.txt");
    Path recipients = cluster.work().resolve("recipients.txt");
    Files.writeString(recipients, "# the admins' key\n" + publicKey(identity) + "\n");
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "age-recipients",
        "--from-file=recipients=" + recipients);
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "age-identity",
        "--from-file=identity=" + identity);
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "age-other",
        "--from-file=identity=" + other);
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "s3-keys",
        "--from-literal=AWS_ACCESS_KEY_ID=" + S3Fixture.ACCESS_KEY,
        "--from-literal=AWS_SECRET_ACCESS_KEY=" + S3Fixture.SECRET_KEY);
  }

  private static Path keygen(String name) {
    return AgeKeys.keygen(cluster.work().resolve(name));
  }

  private static String publicKey(Path identity) {
    return AgeKeys.publicKey(identity);
  }

  private static String secretKey(Path identity) {
    return AgeKeys.secretKey(identity);
  }

  @Test
  void anEncryptedS3SnapshotIsAgeOnDiskAndInS3AndItsRestorePreflightDecryptsItOnTheNode()
      throws Exception {
    S3Fixture s3 = cluster.s3().bucket(BUCKET);
    cluster.server().etcdctl("put", "/registry/configmaps/default/sealed-before", "v");
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: sealed, namespace: %s}
        spec:
          encryption: {recipientsSecret: age-recipients}
          s3:
            endpoint: "%s"
            insecure: true
            bucket: %s
            folder: cluster-a
            credentials: {secretName: s3-keys}
        """.formatted(NS, s3.endpoint(), BUCKET));

    JsonNode status = awaitSucceeded("sealed");

    String name = status.path("snapshotName").asText();
    assertThat(name).endsWith(".age");
    assertThat(status.path("encrypted").asBoolean()).isTrue();
    Path local = cluster.server().root().resolve(status.path("localPath").asText().substring(1));
    Path object = s3.download(BUCKET, "cluster-a/" + name, cluster.work().resolve(name));
    // the stored bytes, on the node and in S3, are age's; status.sha256 is theirs
    for (Path stored : List.of(local, object)) {
      assertThat(Hashes.sha256(stored)).isEqualTo(status.path("sha256").asText());
      assertThat(Files.readString(stored, StandardCharsets.ISO_8859_1))
          .startsWith("age-encryption.org/v1\n").doesNotContain("sealed-before");
    }
    // Debian's age decrypts it without our code, into a snapshot etcd 3.6's etcdutl accepts
    Path plain = cluster.work().resolve("decrypted-by-age");
    Processes.run("age", "-d", "-i", identity.toString(), "-o", plain.toString(),
        object.toString()).requireSuccess(List.of("age -d"));
    // the revision recorded is read as the stream begins; K3s's own writes may land before etcd
    // cuts the snapshot
    assertThat(revisionOf(etcdutlStatus(plain)))
        .isBetween(status.path("etcdRevision").asLong(), status.path("etcdRevision").asLong() + 50);

    // only the S3 copy is left, as after the node's disk was replaced
    Files.delete(local);
    cluster.kubectlOk("-n", NS, "patch", "etcdsnapshot", "sealed", "--subresource=status",
        "--type=merge", "-p", "{\"status\":{\"localPath\":null,\"node\":null}}");
    Path snapshotDir = local.getParent();

    // the wrong identity: refused on the node, nothing touched, no plaintext left
    apply(restore("wrong-key", "age-other"));
    JsonNode wrong = awaitRestorePhase("wrong-key", "Failed");
    assertThat(wrong.path("message").asText()).contains("preflight refused the restore")
        .contains("nothing was touched").contains("spec.decryption.identitySecret")
        .contains("matches none of the recipients");
    assertThat(cluster.kubectlOk("-n", NS, "get", "etcdrestore", "-o", "yaml"))
        .doesNotContain(secretKey(other)).doesNotContain(secretKey(identity));
    try (var files = Files.list(snapshotDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.contains(".decrypted"));
    }

    // the right identity: fetched from S3 and decrypted into K3s's snapshot dir, before
    // anything stops (the safety snapshot comes next: its Job is held back)
    apply(restore("unsealed", "age-identity"));
    JsonNode passed;
    try {
      passed = awaitRestorePhaseHolding("unsealed");
      assertThat(passed.path("message").asText()).contains("preflight passed")
          .contains("fetched from S3").contains("decrypted next to it");
      String decryptedPath = passed.path("plan").path("snapshotPath").asText();
      String expectedName = name.substring(0, name.length() - ".age".length()) + ".decrypted";
      assertThat(decryptedPath).isEqualTo(snapshotDir.resolve(expectedName).toString()
          .substring(cluster.server().root().toString().length()));
      Path decrypted = snapshotDir.resolve(expectedName);
      assertThat(Hashes.sha256(decrypted)).isEqualTo(Hashes.sha256(plain))
          .isEqualTo(passed.path("plan").path("sha256").asText());
      assertThat(revisionOf(etcdutlStatus(decrypted)))
          .isEqualTo(revisionOf(etcdutlStatus(plain)));
      assertThat(cluster.kubectlOk("-n", NS, "get", "etcdrestore", "unsealed", "-o", "yaml"))
          .doesNotContain(secretKey(identity));
    } finally {
      cluster.kubectl("-n", NS, "delete", "etcdrestore", "unsealed", "--wait=false");
      cluster.kubelet().pause(false);
    }
  }

  private static String restore(String name, String identitySecret) {
    return """
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdRestore
        metadata: {name: %s, namespace: %s}
        spec:
          snapshot: sealed
          confirm: true
          decryption: {identitySecret: %s}
        """.formatted(name, NS, identitySecret);
  }

  private static String etcdutlStatus(Path file) {
    var r = Processes.run(List.of(cluster.binaries().get("etcdutl").toString(), "snapshot",
        "status", file.toString(), "-w", "json"), Map.of(), null);
    assertThat(r.exitCode()).as(r.output()).isZero();
    return r.output();
  }

  private static long revisionOf(String etcdutlJson) {
    var m = java.util.regex.Pattern.compile("\"revision\":(\\d+)").matcher(etcdutlJson);
    assertThat(m.find()).as(etcdutlJson).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static JsonNode awaitRestorePhase(String name, String phase) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    RealCluster.await("EtcdRestore " + name + " " + phase, Duration.ofSeconds(180), () -> {
      JsonNode s = cluster.getJson(NS, "etcdrestore/" + name);
      last.set(s == null ? null : s.path("status"));
      return s != null && phase.equals(s.path("status").path("phase").asText());
    });
    return last.get();
  }

  /** Waits past the preflight; holds the node's Jobs back once the safety snapshot is next. */
  private static JsonNode awaitRestorePhaseHolding(String name) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    RealCluster.await("EtcdRestore " + name + " past its preflight", Duration.ofSeconds(180),
        () -> {
          JsonNode s = cluster.getJson(NS, "etcdrestore/" + name);
          JsonNode st = s == null ? null : s.path("status");
          last.set(st);
          String phase = st == null ? "" : st.path("phase").asText();
          if (phase.equals("SafetySnapshot") || phase.equals("Restoring")) {
            cluster.kubelet().pause(true);
            return true;
          }
          if (phase.equals("Failed")) {
            throw new AssertionError("EtcdRestore " + name + " Failed: " + st);
          }
          return false;
        });
    return last.get();
  }

  private static void apply(String manifest) throws Exception {
    var r = cluster.kubectlWithManifest(manifest, "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static JsonNode awaitSucceeded(String name) {
    return cluster.awaitSnapshotSucceeded(NS, name);
  }
}
