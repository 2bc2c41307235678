package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.realcluster.RealCluster;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the API server itself decides about our resources, with the CRDs of crds/ installed:
 * every file of examples/ is accepted by {@code kubectl apply --dry-run=server}, and bad
 * resources are refused with a message naming the field (schema types, enums, bounds, patterns,
 * CEL rules, immutable specs, object names). Each bad resource is also sent to fabric8's CRUD mock
 * API server, the judge of the older tests, to record that it accepted them all.
 */
@EnableKubernetesMockClient(crud = true)
class ApiValidationRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static KubernetesClient mock;

  static final String NS = "validation";

  @BeforeAll
  static void crds() {
    cluster.kubectlOk("apply", "-k", "config/crd");
    cluster.kubectlOk("wait", "--for=condition=Established", "--timeout=60s",
        "crd/etcdsnapshots.k3sbackup.dev", "crd/etcdsnapshotschedules.k3sbackup.dev",
        "crd/etcdrestores.k3sbackup.dev");
    cluster.kubectlOk("create", "namespace", NS);
    cluster.kubectlOk("create", "namespace", RealCluster.OPERATOR_NAMESPACE);
  }

  @Test
  void everyExampleIsAcceptedByTheApiServer() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(RealCluster.repoRoot().resolve("examples"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      Processes.Result r = cluster.kubectl("apply", "--dry-run=server", "-f", f.toString());
      assertThat(r.exitCode()).as(f.getFileName() + ":\n" + r.output()).isZero();
    }
    Processes.Result schedule = cluster.kubectl("apply", "--dry-run=server", "-k",
        "config/default-schedule");
    assertThat(schedule.exitCode()).as(schedule.output()).isZero();
  }

  /** A resource the API server must refuse, and what its message must name. */
  record Bad(String what, String yaml, String expected) {
    @Override
    public String toString() {
      return what;
    }
  }

  static Stream<Bad> badResources() {
    String snap = "apiVersion: k3sbackup.dev/v1alpha1\nkind: EtcdSnapshot\nmetadata: {name: %s}\n"
        + "spec:\n";
    String sched = "apiVersion: k3sbackup.dev/v1alpha1\nkind: EtcdSnapshotSchedule\n"
        + "metadata: {name: %s}\nspec:\n";
    String restore = "apiVersion: k3sbackup.dev/v1alpha1\nkind: EtcdRestore\n"
        + "metadata: {name: %s}\nspec:\n";
    String s3 = "  s3: {bucket: snapshots, credentials: {secretName: keys}, %s}\n";
    return Stream.of(
        new Bad("name prefix with a space", snap.formatted("b1") + "  namePrefix: \"my snap\"\n",
            "spec.namePrefix"),
        new Bad("name prefix starting with a dash", snap.formatted("b2")
            + "  namePrefix: \"-x\"\n", "spec.namePrefix"),
        new Bad("S3 bucket with capitals", snap.formatted("b3")
            + "  s3: {bucket: My_Bucket, credentials: {secretName: keys}}\n", "spec.s3.bucket"),
        new Bad("S3 bucket of two characters", snap.formatted("b4")
            + "  s3: {bucket: ab, credentials: {secretName: keys}}\n", "spec.s3.bucket"),
        new Bad("S3 folder with a leading slash", snap.formatted("b5")
            + s3.formatted("folder: /backups"), "spec.s3.folder"),
        new Bad("S3 folder with ..", snap.formatted("b6") + s3.formatted("folder: a/../b"),
            "spec.s3.folder"),
        new Bad("S3 timeout in words", snap.formatted("b7")
            + s3.formatted("timeout: 5 minutes"), "spec.s3.timeout"),
        new Bad("endpoint CA from a Secret and a ConfigMap", snap.formatted("b8")
            + s3.formatted("endpointCA: {secretName: a, configMapName: b, key: ca.crt}"),
            "give exactly one of secretName and configMapName"),
        new Bad("endpoint CA from nowhere", snap.formatted("b9")
            + s3.formatted("endpointCA: {key: ca.crt}"),
            "give exactly one of secretName and configMapName"),
        new Bad("compress as a string", snap.formatted("b10") + "  compress: \"yes\"\n",
            "spec.compress"),
        new Bad("an unknown field", snap.formatted("b11") + "  nodes: [a]\n",
            "unknown field \"spec.nodes\""),
        new Bad("a name with capitals", snap.formatted("Bad-Name") + "  {}\n",
            "metadata.name"),
        new Bad("a name of 254 characters", snap.formatted("a".repeat(254)) + "  {}\n",
            "metadata.name"),
        new Bad("a cron of four fields", sched.formatted("c1") + "  schedule: \"0 */12 * *\"\n",
            "schedule must have 5 fields"),
        new Bad("retention 0", sched.formatted("c2") + "  retention: 0\n", "spec.retention"),
        new Bad("retention -3", sched.formatted("c3") + "  retention: -3\n", "spec.retention"),
        new Bad("an unknown node selection", sched.formatted("c4")
            + "  nodeSelection: All\n", "spec.nodeSelection"),
        new Bad("an unknown missed-run policy", sched.formatted("c5")
            + "  missedRuns: Always\n", "spec.missedRuns"),
        new Bad("a bad prefix in the template", sched.formatted("c6")
            + "  snapshotTemplate: {namePrefix: \"a/b\"}\n", "spec.snapshotTemplate.namePrefix"),
        new Bad("a restore without a snapshot", restore.formatted("r1") + "  confirm: true\n",
            "spec.snapshot"),
        new Bad("a restore neither confirmed nor a dry run", restore.formatted("r2")
            + "  snapshot: s\n", "set confirm: true"),
        new Bad("peers as a string", restore.formatted("r3")
            + "  snapshot: s\n  confirm: true\n  peers: server-2\n", "spec.peers"),
        // issue 12: names and prefixes that cannot work, host paths, durations, node names
        new Bad("a snapshot name of 64 characters", snap.formatted("s".repeat(64)) + "  {}\n",
            "metadata.name must be at most 63 characters"),
        new Bad("a schedule name of 64 characters", sched.formatted("c".repeat(64))
            + "  suspend: true\n", "metadata.name must be at most 63 characters"),
        new Bad("a restore name of 64 characters", restore.formatted("r".repeat(64))
            + "  snapshot: s\n  dryRun: true\n", "metadata.name must be at most 63 characters"),
        new Bad("a name prefix of 41 characters", snap.formatted("b12") + "  namePrefix: "
            + "p".repeat(41) + "\n", "namePrefix must be at most 40 characters"),
        new Bad("a template prefix of 41 characters", sched.formatted("c7")
            + "  snapshotTemplate: {namePrefix: " + "p".repeat(41) + "}\n",
            "spec.snapshotTemplate.namePrefix"),
        new Bad("local.dir /", snap.formatted("b13") + "  local: {dir: /}\n",
            "dir must not be / or a system dir such as /etc"),
        new Bad("local.dir /etc", snap.formatted("b14") + "  local: {dir: /etc}\n",
            "dir must not be / or a system dir such as /etc"),
        new Bad("local.dir under /etc", sched.formatted("c8")
            + "  snapshotTemplate: {local: {dir: /etc/cron.d}}\n",
            "spec.snapshotTemplate.local.dir"),
        new Bad("a relative local.dir", snap.formatted("b15") + "  local: {dir: snapshots}\n",
            "dir must be an absolute path without '..'"),
        new Bad("local.dir with ..", snap.formatted("b16")
            + "  local: {dir: /var/lib/rancher/k3s/../../../etc}\n",
            "dir must be an absolute path without '..'"),
        new Bad("local.dataDir /", snap.formatted("b17") + "  local: {dataDir: /}\n",
            "dataDir must not be / or a system dir"),
        new Bad("a relative local.dataDir", snap.formatted("b18")
            + "  local: {dataDir: rancher/k3s}\n", "dataDir must be an absolute path"),
        new Bad("S3 timeout 0s", snap.formatted("b19") + s3.formatted("timeout: 0s"),
            "timeout must be a positive duration"),
        new Bad("save timeout 0s", snap.formatted("b20") + "  timeout: 0s\n",
            "timeout must be a positive duration"),
        new Bad("a negative save timeout", snap.formatted("b21") + "  timeout: -5m\n",
            "spec.timeout"),
        new Bad("a template timeout of 0s", sched.formatted("c9")
            + "  snapshotTemplate: {timeout: 0m0s}\n", "spec.snapshotTemplate.timeout"),
        new Bad("absurd retention", sched.formatted("c10") + "  retention: 100000\n",
            "spec.retention"),
        // issue 14: retention policies and drills
        new Bad("keepDaily -1", sched.formatted("c11") + "  keepDaily: -1\n", "spec.keepDaily"),
        new Bad("keepMonthly 100000", sched.formatted("c12") + "  keepMonthly: 100000\n",
            "spec.keepMonthly"),
        new Bad("s3Retention 0", sched.formatted("c13") + "  s3Retention: 0\n"
            + "  snapshotTemplate: {s3: {bucket: b}}\n", "spec.s3Retention"),
        new Bad("s3Retention without S3", sched.formatted("c14") + "  s3Retention: 3\n",
            "s3Retention counts the S3 copies"),
        new Bad("maxAge 0d", sched.formatted("c15") + "  maxAge: 0d\n",
            "maxAge must be longer than 0"),
        new Bad("maxAge in years", sched.formatted("c16") + "  maxAge: 1y\n", "spec.maxAge"),
        new Bad("drill every 0", sched.formatted("c17") + "  drill: {every: 0}\n",
            "spec.drill.every"),
        new Bad("drill alertAfter 0h", sched.formatted("c18") + "  drill: {alertAfter: 0h}\n",
            "alertAfter must be longer than 0"),
        new Bad("an S3 endpoint with a scheme", snap.formatted("b22")
            + s3.formatted("endpoint: \"https://minio.example.com:9000\""),
            "endpoint must be host[:port] without scheme or path"),
        new Bad("a node name with capitals and _", snap.formatted("b23")
            + "  node: Server_1\n", "node must be a node's name"),
        new Bad("a restore server that is no node name", restore.formatted("r4")
            + "  snapshot: s\n  dryRun: true\n  server: \"server 1\"\n",
            "server must be a node's name"),
        new Bad("peers naming the server", restore.formatted("r5")
            + "  snapshot: s\n  confirm: true\n  server: s1\n  peers: [s2, s1]\n",
            "peers must not name the server"),
        new Bad("a peer named twice", restore.formatted("r6")
            + "  snapshot: s\n  confirm: true\n  peers: [s2, s2]\n",
            "peers must not name a node twice"),
        new Bad("sixteen peers", restore.formatted("r7")
            + "  snapshot: s\n  confirm: true\n  peers: [" + String.join(", ",
            java.util.stream.IntStream.range(0, 16).mapToObj(i -> "n" + i).toList()) + "]\n",
            "spec.peers"),
        new Bad("encryption without its recipients Secret", snap.formatted("b24")
            + "  encryption: {recipientsKey: recipients}\n",
            "spec.encryption.recipientsSecret"),
        new Bad("a recipients Secret that is no Secret name", snap.formatted("b25")
            + "  encryption: {recipientsSecret: \"Age_Keys\"}\n",
            "spec.encryption.recipientsSecret"),
        new Bad("a recipients key with a slash", sched.formatted("s9")
            + "  snapshotTemplate:\n    encryption: {recipientsSecret: age, recipientsKey: "
            + "\"a/b\"}\n", "spec.snapshotTemplate.encryption.recipientsKey"),
        new Bad("decryption without its identity Secret", restore.formatted("r8")
            + "  snapshot: s\n  confirm: true\n  decryption: {identityKey: identity}\n",
            "spec.decryption.identitySecret"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badResources")
  void theApiServerRefusesWhatTheMockAccepted(Bad bad) throws Exception {
    Processes.Result r = cluster.kubectlWithManifest(bad.yaml(), "apply", "-n", NS);
    assertThat(r.exitCode()).as("the API server accepted " + bad.what() + ":\n" + r.output())
        .isNotZero();
    assertThat(r.output()).contains(bad.expected());
    // the mock of the older tiers took it
    var parsed = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(bad.yaml(),
        io.fabric8.kubernetes.api.model.GenericKubernetesResource.class);
    var kind = new io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext.Builder()
        .withGroup("k3sbackup.dev").withVersion("v1alpha1").withKind(parsed.getKind())
        .withPlural(parsed.getKind().toLowerCase() + "s").withNamespaced(true).build();
    assertThat(mock.genericKubernetesResources(kind).inNamespace(NS).resource(parsed).create())
        .isNotNull();
  }

  @Test
  void aStartedSpecCannotBeChanged() throws Exception {
    String v1 = "apiVersion: k3sbackup.dev/v1alpha1\nkind: EtcdRestore\n"
        + "metadata: {name: fixed}\nspec: {snapshot: s1, dryRun: true}\n";
    assertThat(cluster.kubectlWithManifest(v1, "apply", "-n", NS).exitCode()).isZero();
    Processes.Result r = cluster.kubectlWithManifest(v1.replace("s1", "s2"), "apply", "-n", NS);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("spec is immutable: create a new EtcdRestore instead");

    String s1 = "apiVersion: k3sbackup.dev/v1alpha1\nkind: EtcdSnapshot\n"
        + "metadata: {name: fixed}\nspec: {namePrefix: one}\n";
    assertThat(cluster.kubectlWithManifest(s1, "apply", "-n", NS).exitCode()).isZero();
    r = cluster.kubectlWithManifest(s1.replace("one", "two"), "apply", "-n", NS);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("spec is immutable: create a new EtcdSnapshot instead");
  }
}
