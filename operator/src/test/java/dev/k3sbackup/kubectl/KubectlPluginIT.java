package dev.k3sbackup.kubectl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.FakeKubelet;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Kubeconfig;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubectl etcdsnapshot} against the test Kubernetes API with the real operator running:
 * its saves are real snapshots of a real etcd, taken by the operator's Jobs on a fake node.
 */
class KubectlPluginIT {

  private static final String NS = OperatorHarness.NAMESPACE;
  private static final String SNAPSHOTS = "/var/lib/rancher/k3s/server/db/snapshots";
  private static final Pattern SAVED = Pattern.compile("Saved snapshot (\\S+) \\(EtcdSnapshot "
      + NS + "/(\\S+)\\)");

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private FakeKubelet.FakeNode node;
  private PluginRunner kubectl;

  @BeforeEach
  void start() throws Exception {
    new S3Fixture(S3_SERVER.getUri()).bucket("backups"); // S3Proxy needs one to shut down
    etcd = EtcdProcess.start(work);
    for (int i = 0; i < 20; i++) {
      etcd.put("/registry/configmaps/default/cm-" + i, "v" + i);
    }
    MutableClock clock = new MutableClock(Instant.parse("2026-11-21T12:00:00Z"));
    cluster = new OperatorHarness(clock);
    node = cluster.addEtcdNode("server-1", work.resolve("node-server-1"), etcd);
    cluster.allowProgressReports();
    cluster.startOperator();
    kubectl = new PluginRunner(clock, Kubeconfig.write(work, cluster.client()), NS);
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  /** A save through the plugin; returns {file name, resource name}. */
  private String[] save(String... flags) {
    Cli.Run run = kubectl.run(concat(new String[] {"save", "--node-name", "server-1"}, flags));
    assertThat(run.exitCode()).as(run.all()).isZero();
    Matcher m = SAVED.matcher(run.out());
    assertThat(m.find()).as(run.out()).isTrue();
    cluster.clock().advance(Duration.ofMinutes(1)); // the next one gets a later name
    return new String[] {m.group(1), m.group(2)};
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private Path file(String name) {
    return node.path(SNAPSHOTS).resolve(name);
  }

  private List<EtcdSnapshot> snapshots() {
    return cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).list().getItems();
  }

  private List<EtcdRestore> restores() {
    return cluster.client().resources(EtcdRestore.class).inNamespace(NS).list().getItems();
  }

  @Test
  void saveWaitsForTheRealSnapshotShowingProgressAndLsListsIt() throws Exception {
    Cli.Run run = kubectl.run("save", "--node-name", "server-1", "--name", "before_upgrade");

    assertThat(run.exitCode()).as(run.all()).isZero();
    Matcher m = SAVED.matcher(run.out());
    assertThat(m.find()).as(run.out()).isTrue();
    String name = m.group(1);
    String resource = m.group(2);
    assertThat(name).matches("before_upgrade-server-1-\\d+");
    assertThat(resource).matches("before-upgrade-\\d+");
    Path file = file(name);
    assertThat(file).isRegularFile();
    long size = Files.size(file);
    assertThat(run.out()).contains("file://" + SNAPSHOTS + "/" + name)
        .contains("size " + size + " bytes, sha256 " + Hashes.sha256(file));
    assertThat(run.err()).as("progress on stderr").contains("etcdsnapshot/" + resource
        + ": Succeeded").contains("(100%)");
    EtcdSnapshot stored = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName(resource).get();
    assertThat(stored.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
    assertThat(stored.getSpec().namePrefix).isEqualTo("before_upgrade");
    assertThat(stored.getSpec().node).isEqualTo("server-1");

    Cli.Run ls = kubectl.run("ls");

    assertThat(ls.exitCode()).as(ls.all()).isZero();
    List<String> lines = ls.out().lines().toList();
    assertThat(lines.get(0)).matches("Name +Location +Size +Created +Phase +Resource");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1).split(" +")).containsExactly(name, "file://" + SNAPSHOTS + "/" + name,
        Long.toString(size), Instant.ofEpochSecond(Long.parseLong(
            name.substring(name.lastIndexOf('-') + 1))).toString(), "Succeeded", resource);
    assertThat(kubectl.run("list").out()).isEqualTo(ls.out());
    assertThat(kubectl.run("l").out()).isEqualTo(ls.out());

    Cli.Run json = kubectl.run("ls", "-o", "json");
    JsonNode entries = new ObjectMapper().readTree(json.out());
    assertThat(entries).hasSize(1);
    assertThat(entries.get(0).get("resource").asText()).isEqualTo(resource);
    assertThat(entries.get(0).get("name").asText()).isEqualTo(name);
    assertThat(entries.get(0).get("size").asLong()).isEqualTo(size);
    assertThat(entries.get(0).get("sha256").asText()).isEqualTo(Hashes.sha256(file));
    assertThat(kubectl.run("ls", "-o", "yaml").out()).contains("resource: " + resource)
        .contains("name: " + name);
  }

  @Test
  void saveWithWaitFalseReturnsOnceTheResourceExists() {
    Cli.Run run = kubectl.run("save", "--wait=false", "--resource-name", "quick", "-o", "yaml",
        "--snapshot-compress");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("kind: EtcdSnapshot").contains("name: quick")
        .contains("compress: true");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(40)).until(() -> {
      EtcdSnapshot s = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("quick").get();
      return s.getStatus() != null && s.getStatus().phase == SnapshotPhase.Succeeded;
    });
    String name = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName("quick").get().getStatus().snapshotName;
    assertThat(name).endsWith(".zip");
    assertThat(file(name)).isRegularFile();
  }

  @Test
  void aFailedSaveExitsNonZeroWithTheOperatorsMessage() throws Exception {
    EtcdProcess dead = EtcdProcess.start(work.resolve("dead"));
    dead.close();
    cluster.addEtcdNode("server-2", work.resolve("node-server-2"), dead);

    Cli.Run run = kubectl.run("save", "--node-name", "server-2");

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains(": Failed").contains("error: EtcdSnapshot " + NS + "/k3sbackup-on-demand-")
        .contains("failed after 2 attempts").contains("cannot reach etcd");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void deleteTakesFileOrResourceNamesAndRemovesTheFiles() {
    String[] a = save();
    String[] b = save();
    String[] c = save();

    Cli.Run run = kubectl.run("delete", a[0], b[1]); // a by its file, b by its resource

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("Deleted " + a[0] + " (EtcdSnapshot " + NS + "/" + a[1] + ")")
        .contains("Deleted " + b[0]);
    assertThat(file(a[0])).doesNotExist();
    assertThat(file(b[0])).doesNotExist();
    assertThat(file(c[0])).isRegularFile();
    assertThat(snapshots()).extracting(s -> s.getMetadata().getName()).containsExactly(c[1]);
  }

  @Test
  void pruneKeepsTheNNewestWithThePrefixAndLeavesOtherPrefixesAlone() {
    String[] oldest = save();
    String[] middle = save();
    String[] newest = save();
    String[] other = save("--name", "nightly");

    Cli.Run run = kubectl.run("prune", "--snapshot-retention", "1");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("Deleted " + oldest[0]).contains("Deleted " + middle[0]);
    assertThat(file(oldest[0])).doesNotExist();
    assertThat(file(middle[0])).doesNotExist();
    assertThat(file(newest[0])).isRegularFile();
    assertThat(file(other[0])).isRegularFile();
    assertThat(snapshots()).extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder(newest[1], other[1]);

    Cli.Run again = kubectl.run("prune", "--etcd-snapshot-retention", "1", "-o", "json");
    assertThat(again.exitCode()).as(again.all()).isZero();
    assertThat(again.out()).contains("\"deleted\" : [ ]").contains("\"retention\" : 1");
  }

  @Test
  void restoreDryRunShowsThePlanAndTouchesNothing() throws Exception {
    cluster.addEtcdNode("server-2", work.resolve("node-server-2"), etcd);
    String[] s = save();

    Cli.Run run = kubectl.run("restore", s[0], "--dry-run");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).contains("Plan for EtcdRestore " + NS + "/restore-")
        .contains("dry run, nothing was touched").containsPattern("Server: +server-1")
        .containsPattern("Peers: +server-2")
        .contains("File:          " + SNAPSHOTS + "/" + s[0])
        .containsPattern("1\\. preflight on server-1: verify")
        .containsPattern("2\\. operator: safety snapshot");
    assertThat(run.err()).contains(": Preflight").contains(": PlanReady");
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().contains("restore"));

    String restore = restores().get(0).getMetadata().getName();
    cluster.clock().advance(Duration.ofMinutes(1));
    Cli.Run ha = kubectl.run("restore", s[1], "--dry-run", "--peers", "server-2",
        "--no-safety-snapshot", "-o", "yaml");
    assertThat(ha.exitCode()).as(ha.all()).isZero();
    assertThat(ha.out()).contains("kind: EtcdRestore").contains("safetySnapshot: false")
        .contains("phase: PlanReady").contains("- server-2")
        .contains("peer server-2: await-reset, stop").doesNotContain("operator: safety snapshot");

    Cli.Run describe = kubectl.run("describe", restore);
    assertThat(describe.exitCode()).as(describe.all()).isZero();
    assertThat(describe.out()).containsPattern("Kind: +EtcdRestore")
        .containsPattern("Phase: +PlanReady").containsPattern("Requested: +dry run")
        .contains("Plan:").contains("History:")
        .containsPattern("Pending +accepted").containsPattern("PlanReady +dry run")
        .contains("Conditions:").containsPattern("Ready +True +PlanReady");
  }

  @Test
  void anEncryptedSaveAndItsRestorePlanTakeTheAgeSecrets() throws Exception {
    Path identity = dev.k3sbackup.testing.AgeKeys.keygen(work.resolve("identity.txt"));
    cluster.client().secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model
        .SecretBuilder().withNewMetadata().withName("age-recipients").endMetadata()
        .addToStringData("recipients", dev.k3sbackup.testing.AgeKeys.publicKey(identity))
        .build()).create();

    String[] s = save("--encrypt-recipients-secret", "age-recipients");

    assertThat(s[0]).endsWith(".age");
    assertThat(java.nio.file.Files.readString(file(s[0]),
        java.nio.charset.StandardCharsets.ISO_8859_1)).startsWith("age-encryption.org/v1");
    Cli.Run noKey = kubectl.run("restore", s[0], "--dry-run");
    assertThat(noKey.exitCode()).isNotZero();
    assertThat(noKey.all()).contains("spec.decryption.identitySecret");
    Cli.Run plan = kubectl.run("restore", s[0], "--dry-run", "--decrypt-identity-secret",
        "age-identity", "-o", "yaml");
    assertThat(plan.exitCode()).as(plan.all()).isZero();
    assertThat(plan.out()).contains("identitySecret: age-identity").contains("phase: PlanReady");
  }

  @Test
  void aConfirmedRestoreIsFollowedThroughEveryPhaseToTheSnapshotsState() throws Exception {
    String[] s = save();
    etcd.put("/registry/after", "written after the snapshot");

    Cli.Run run = kubectl.run("restore", s[1], "--yes", "--single-server");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.err()).contains(": Preflight").contains(": SafetySnapshot")
        .contains(": Restoring").contains(": Succeeded");
    assertThat(run.out()).startsWith("Restored: restored from " + SNAPSHOTS + "/" + s[0]);
    assertThat(etcd.all()).containsKey("/registry/configmaps/default/cm-0")
        .doesNotContainKey("/registry/after");
  }

  @Test
  void aRestoreThatTheRollbackRemovesIsFollowedOntoItsRecreatedResource() throws Exception {
    String[] s = save();
    etcd.put("/registry/after", "written after the snapshot");
    cluster.host("server-1").onStopAndStart(cluster::apiDown, () -> {
      cluster.rollBackRestore("undo");
      cluster.apiUp();
    });

    Cli.Run run = kubectl.run("restore", s[1], "--yes", "--single-server", "--restore-name",
        "undo");

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.err()).contains(": Restoring")
        .contains("the EtcdRestore is gone: the cluster now holds the snapshot's state")
        .contains("etcdrestore/undo recreated from the nodes' restore journals")
        .contains(": Succeeded: restored on server-1");
    assertThat(etcd.all()).doesNotContainKey("/registry/after");
  }

  @Test
  void describeShowsASnapshotByItsFileName() throws Exception {
    String[] s = save();

    Cli.Run run = kubectl.run("describe", s[0]);

    assertThat(run.exitCode()).as(run.all()).isZero();
    assertThat(run.out()).containsPattern("Name: +" + s[1]).containsPattern("Kind: +EtcdSnapshot")
        .containsPattern("Phase: +Succeeded").containsPattern("Snapshot: +" + s[0])
        .containsPattern("Node: +server-1")
        .containsPattern("SHA-256: +" + Hashes.sha256(file(s[0])))
        .containsPattern("Attempts: +1 \\(last Job ")
        .containsPattern("Requested: +prefix k3sbackup-on-demand, node server-1, dir " + SNAPSHOTS)
        .containsPattern("Ready +True");
    Cli.Run yaml = kubectl.run("describe", s[1], "-o", "yaml");
    assertThat(yaml.out()).contains("kind: EtcdSnapshot").contains("snapshotName: " + s[0]);
  }

  @Test
  void badInputIsRefusedNamingTheFixAndChangesNothing() {
    String[] s = save();

    Cli.Run unknown = kubectl.run("restore", "nope", "--yes");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("no EtcdSnapshot named nope in namespace " + NS)
        .contains("kubectl etcdsnapshot ls");

    Cli.Run unconfirmed = kubectl.run("restore", s[0]);
    assertThat(unconfirmed.exitCode()).isEqualTo(2);
    assertThat(unconfirmed.err()).contains("rolls the whole cluster back to snapshot " + s[0])
        .contains("Nothing was created").contains("add --yes").contains("--dry-run");
    assertThat(restores()).isEmpty();

    Cli.Run zero = kubectl.run("prune", "--snapshot-retention", "0");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("--snapshot-retention 0").contains("give 1 or more");

    Cli.Run someUnknown = kubectl.run("delete", s[0], "on-demand-server-1-1");
    assertThat(someUnknown.exitCode()).isEqualTo(2);
    assertThat(someUnknown.err()).contains("no EtcdSnapshot named on-demand-server-1-1")
        .contains("nothing was deleted");
    assertThat(file(s[0])).isRegularFile();

    Cli.Run s3WithoutS3 = kubectl.run("save", "--s3-bucket", "backups");
    assertThat(s3WithoutS3.exitCode()).isEqualTo(2);
    assertThat(s3WithoutS3.err()).contains("--s3-bucket given without --s3");

    Cli.Run inlineKeys = kubectl.run("save", "--s3", "--s3-bucket", "backups",
        "--s3-access-key", "AKIA", "--s3-secret-key", S3Fixture.SECRET_KEY);
    assertThat(inlineKeys.exitCode()).isEqualTo(2);
    assertThat(inlineKeys.err()).contains("keys never go into a resource")
        .contains("--s3-credentials").doesNotContain(S3Fixture.SECRET_KEY);

    Cli.Run missingSecret = kubectl.run("save", "--s3", "--s3-bucket", "backups",
        "--s3-credentials", "missing");
    assertThat(missingSecret.exitCode()).isEqualTo(2);
    assertThat(missingSecret.err()).contains("--s3-credentials: Secret 'missing' not found in "
        + "namespace " + NS);

    Cli.Run badPrefix = kubectl.run("save", "--name", "../up");
    assertThat(badPrefix.exitCode()).isEqualTo(2);
    assertThat(badPrefix.err()).contains("--name '../up'");

    Cli.Run badResourceName = kubectl.run("save", "--resource-name", "Before_Upgrade");
    assertThat(badResourceName.exitCode()).isEqualTo(2);
    assertThat(badResourceName.err()).contains("--resource-name 'Before_Upgrade' is not a "
        + "Kubernetes name");

    Cli.Run longPrefix = kubectl.run("save", "--name", "p".repeat(41));
    assertThat(longPrefix.exitCode()).isEqualTo(2);
    assertThat(longPrefix.err()).contains("--name '" + "p".repeat(41) + "' is 41 characters: "
        + "give at most 40");

    Cli.Run longResourceName = kubectl.run("save", "--resource-name", "r".repeat(64));
    assertThat(longResourceName.exitCode()).isEqualTo(2);
    assertThat(longResourceName.err()).contains("--resource-name '" + "r".repeat(64)
        + "' is 64 characters: give at most 63");

    Cli.Run systemDir = kubectl.run("save", "--dir", "/etc");
    assertThat(systemDir.exitCode()).isEqualTo(2);
    assertThat(systemDir.err()).contains("--dir '/etc' is / or a system dir");

    Cli.Run describe = kubectl.run("describe", "nope");
    assertThat(describe.exitCode()).isEqualTo(2);
    assertThat(describe.err()).contains("no EtcdSnapshot or EtcdRestore named nope");

    assertThat(snapshots()).extracting(x -> x.getMetadata().getName()).containsExactly(s[1]);
    assertThat(restores()).isEmpty();
  }
}
