package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.S3Fixture;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * EtcdSnapshots through the operator as installed, on a real API server: the Job made by the
 * operator under its own RBAC, admitted (Pod Security) and run by the real Job controller, its
 * Pod running our image on the K3s-shaped node, streaming from etcd v3.6 over K3s's client TLS
 * into K3s's snapshot dir, and to S3. The file and the object are judged by etcd's own etcdutl
 * and by sha256 computed here.
 */
class SnapshotRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;

  @BeforeAll
  static void install() {
    cluster.installOperator();
  }

  @Test
  void aLocalSnapshotFromEtcdWithK3sTlsLandsInK3sSnapshotDirVerified() throws Exception {
    cluster.server().etcdctl("put", "/registry/configmaps/default/before", "v");
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: local-1, namespace: %s}
        spec: {}
        """.formatted(NS));

    JsonNode status = awaitSucceeded("local-1");

    assertThat(status.path("node").asText()).isEqualTo(RealCluster.NODE);
    String localPath = status.path("localPath").asText();
    assertThat(localPath).matches("/var/lib/rancher/k3s/server/db/snapshots/k3sbackup-on-demand-"
        + RealCluster.NODE + "-\\d{10}");
    Path file = cluster.server().root().resolve(localPath.substring(1));
    assertThat(file).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(status.path("sha256").asText()).isEqualTo(Hashes.sha256(file));
    assertThat(status.path("size").asLong()).isEqualTo(Files.size(file));
    // etcd's own tool, the version K3s v1.34 embeds, judges the file
    var judged = dev.k3sbackup.testing.Processes.run(java.util.List.of(
        cluster.binaries().get("etcdutl").toString(), "snapshot", "status", file.toString(),
        "-w", "json"), java.util.Map.of(), null);
    assertThat(judged.exitCode()).as(judged.output()).isZero();
    assertThat(judged.output()).contains("\"revision\":" + status.path("etcdRevision").asLong());
    // the agent reported progress as its own service account: RBAC let it, nothing was refused
    String agentLog = jobLogs(status.path("jobName").asText());
    assertThat(agentLog).isNotEmpty().doesNotContainIgnoringCase("cannot report progress")
        .doesNotContainIgnoringCase("forbidden");
  }

  /** What the Pods of Job {@code job} printed, as the fake kubelet kept it. */
  private static String jobLogs(String job) {
    StringBuilder all = new StringBuilder();
    for (var pod : cluster.client().pods().inNamespace(NS).withLabel("job-name", job).list()
        .getItems()) {
      all.append(cluster.kubelet().logs(NS, pod.getMetadata().getName()));
    }
    return all.toString();
  }

  @Test
  void anS3SnapshotIsUploadedWithK3sMetadataAndTheSameBytes() throws Exception {
    S3Fixture s3 = cluster.s3().bucket("real-snapshots");
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "s3-keys",
        "--from-literal=AWS_ACCESS_KEY_ID=" + S3Fixture.ACCESS_KEY,
        "--from-literal=AWS_SECRET_ACCESS_KEY=" + S3Fixture.SECRET_KEY);
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: s3-1, namespace: %s}
        spec:
          s3:
            endpoint: "%s"
            insecure: true
            bucket: real-snapshots
            folder: cluster-a
            credentials: {secretName: s3-keys}
        """.formatted(NS, s3.endpoint()));

    JsonNode status = awaitSucceeded("s3-1");

    String name = status.path("snapshotName").asText();
    String key = "cluster-a/" + name;
    assertThat(s3.keys("real-snapshots")).contains(key, "cluster-a/.metadata/" + name);
    Path copy = cluster.work().resolve("downloaded-" + name);
    s3.download("real-snapshots", key, copy);
    assertThat(Hashes.sha256(copy)).isEqualTo(status.path("sha256").asText());
    assertThat(s3.stat("real-snapshots", key).userMetadata().getFirst("K3s-Node-Name"))
        .isEqualTo(RealCluster.NODE);
    Path local = cluster.server().root().resolve(status.path("localPath").asText().substring(1));
    assertThat(Hashes.sha256(local)).isEqualTo(status.path("sha256").asText());
    assertThat(cluster.kubectl("-n", NS, "get", "etcdsnapshot", "s3-1", "-o", "yaml")
        .output()).doesNotContain(S3Fixture.SECRET_KEY);
  }

  @Test
  void aSaveThatOutlivesItsTimeoutIsEndedByKubernetesAndSaidSo() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: too-slow, namespace: %s}
        spec: {timeout: 1s}
        """.formatted(NS));

    // the real Job controller ends the Job at its activeDeadlineSeconds (spec.timeout)
    RealCluster.await("the first attempt timed out", Duration.ofSeconds(120), () -> {
      JsonNode s = cluster.getJson(NS, "etcdsnapshot/too-slow");
      return s != null && s.path("status").path("message").asText()
          .contains("the save did not finish within 1s (spec.timeout");
    });
    JsonNode status = cluster.getJson(NS, "etcdsnapshot/too-slow").path("status");
    assertThat(status.path("message").asText()).contains("attempt 1 of 3 failed")
        .contains("K3s's own defrag").contains("raise spec.timeout");
    JsonNode job = cluster.getJson(NS, "job/" + status.path("jobName").asText());
    assertThat(job.path("spec").path("activeDeadlineSeconds").asLong()).isEqualTo(1L);
    boolean deadline = false;
    for (JsonNode c : job.path("status").path("conditions")) {
      deadline |= "DeadlineExceeded".equals(c.path("reason").asText());
    }
    assertThat(deadline).as(job.path("status").toString()).isTrue();
    cluster.kubectlOk("-n", NS, "delete", "etcdsnapshot", "too-slow", "--wait=false");
  }

  private static void apply(String manifest) throws Exception {
    var r = cluster.kubectlWithManifest(manifest, "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static JsonNode awaitSucceeded(String name) {
    return cluster.awaitSnapshotSucceeded(NS, name);
  }
}
