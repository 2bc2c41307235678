package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.PhaseTransition;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.AgeKeys;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** EtcdRestore's preflight and dry run through the real operator. */
class EtcdRestoreOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private EtcdProcess etcd;
  private OperatorHarness cluster;
  private S3Fixture s3;

  @BeforeEach
  void start() throws Exception {
    s3 = new S3Fixture(S3_SERVER.getUri()).bucket("backups"); // S3Proxy needs one to shut down
    etcd = EtcdProcess.start(work);
    etcd.put("/registry/a", "1");
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    for (String node : new String[] {"server-1", "server-2", "server-3"}) {
      cluster.addEtcdNode(node, work.resolve("node-" + node), etcd);
    }
    cluster.startOperator();
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("good");
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    cluster.client().resource(s).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      EtcdSnapshot g = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("good").get();
      return g.getStatus() != null && g.getStatus().phase == SnapshotPhase.Succeeded;
    });
  }

  @AfterEach
  void stop() {
    cluster.close();
    etcd.close();
  }

  /** Creates EtcdSnapshot {@code name} with {@code spec} and waits until it Succeeded. */
  private EtcdSnapshot takeSnapshot(String name, EtcdSnapshotSpec spec) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    cluster.client().resource(s).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      EtcdSnapshot g = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName(name).get();
      return g.getStatus() != null && g.getStatus().phase == SnapshotPhase.Succeeded;
    });
    return cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).withName(name).get();
  }

  /**
   * Only the S3 copy of {@code snapshot} is left (the node's file is gone, as after a node's
   * disk was replaced): the server node, the one with the etcd member, fetches it.
   */
  private void leaveOnlyTheS3Copy(EtcdSnapshot snapshot) throws Exception {
    java.nio.file.Files.delete(fileOnNode("server-1", snapshot.getMetadata().getName()));
    snapshot.getStatus().localPath = null;
    snapshot.getStatus().node = null;
    cluster.client().resource(snapshot).updateStatus();
  }

  private void create(String name, String snapshot, Boolean confirm, Boolean dryRun) {
    create(name, snapshot, confirm, dryRun, null);
  }

  private void create(String name, String snapshot, Boolean confirm, Boolean dryRun,
      java.util.List<String> peers) {
    create(name, snapshot, confirm, dryRun, peers, null);
  }

  private void create(String name, String snapshot, Boolean confirm, Boolean dryRun,
      java.util.List<String> peers, String server) {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = snapshot;
    r.getSpec().confirm = confirm;
    r.getSpec().dryRun = dryRun;
    r.getSpec().peers = peers;
    r.getSpec().server = server;
    cluster.client().resource(r).create();
  }

  private EtcdRestore awaitPhase(String name, RestorePhase phase) {
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName(name).get();
      assertThat(r).isNotNull();
      assertThat(r.getStatus()).isNotNull();
      assertThat(r.getStatus().phase).as(r.getStatus().message).isEqualTo(phase);
    });
    return cluster.client().resources(EtcdRestore.class).inNamespace(NS).withName(name).get();
  }

  @Test
  void dryRunFillsThePlanAndTouchesNothing() {
    create("what-if", "good", null, true);

    EtcdRestore r = awaitPhase("what-if", RestorePhase.PlanReady);

    var plan = r.getStatus().plan;
    assertThat(plan.server).isEqualTo("server-1");
    assertThat(plan.peers).containsExactly("server-2", "server-3");
    assertThat(plan.snapshotPath).startsWith("/var/lib/rancher/k3s/server/db/snapshots/");
    assertThat(plan.sha256).hasSize(64);
    assertThat(plan.steps).anyMatch(s -> s.startsWith("operator: safety snapshot"))
        .anyMatch(s -> s.startsWith("preflight on server-1: verify etcd's trailer and sha256"))
        .anyMatch(s -> s.startsWith("server server-1: verify, prepare, await-peers-ready, stop, reset, "
            + "await-peers, start, await-rejoin"))
        .anyMatch(s -> s.startsWith("peer server-3: await-reset, stop, wipe"));
    assertThat(plan.agents).containsOnlyKeys("server-1", "server-2", "server-3");
    assertThat(plan.agents.get("server-2")).startsWith("http://127.0.0.13:");
    assertThat(r.getStatus().history).extracting((PhaseTransition t) -> t.phase)
        .containsExactly(RestorePhase.Pending, RestorePhase.Preflight, RestorePhase.PlanReady);
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems())
        .noneMatch(j -> j.getMetadata().getName().contains("restore"));
  }

  @Test
  void anUnconfirmedRestoreIsRefusedNamingTheField() {
    create("unsure", "good", null, null);

    EtcdRestore r = awaitPhase("unsure", RestorePhase.Failed);

    assertThat(r.getStatus().message).contains("spec.confirm must be true")
        .contains("nothing was touched");
  }

  @Test
  void anUnknownSnapshotIsRefused() {
    create("typo", "goood", true, null);

    assertThat(awaitPhase("typo", RestorePhase.Failed).getStatus().message)
        .contains("EtcdSnapshot 'goood' not found");
  }

  @Test
  void aSingleServerRestoreTakesASafetySnapshotThenBringsBackTheSnapshotsState()
      throws Exception {
    etcd.put("/registry/after", "written after the snapshot");

    create("rollback", "good", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("rollback", RestorePhase.Succeeded);
    assertThat(r.getStatus().history).extracting((PhaseTransition t) -> t.phase)
        .containsExactly(RestorePhase.Pending, RestorePhase.Preflight,
            RestorePhase.SafetySnapshot, RestorePhase.Restoring, RestorePhase.Succeeded);
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
    EtcdSnapshot safety = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName("rollback-safety").get();
    assertThat(safety.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded);
    assertThat(safety.getStatus().snapshotName).startsWith("k3sbackup-safety-server-1-");
    var job = cluster.client().batch().v1().jobs().inNamespace(NS).withName("rollback-server")
        .get().getSpec().getTemplate().getSpec();
    assertThat(job.getHostPID()).isTrue();
    assertThat(job.getContainers().get(0).getSecurityContext().getPrivileged()).isTrue();
    assertThat(job.getNodeName()).isEqualTo("server-1");
  }

  @Test
  void aSecondRestoreWhileOneRunsIsRefused() {
    cluster.kubelet().pause(true); // the first restore's preflight Job waits for its node
    create("first", "good", true, null, java.util.List.of());
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName("first").get();
      return r.getStatus() != null && r.getStatus().phase == RestorePhase.Preflight
          && r.getStatus().message.startsWith("checking the snapshot on server-1");
    });

    create("second", "good", true, null, java.util.List.of());

    assertThat(awaitPhase("second", RestorePhase.Failed).getStatus().message)
        .contains("one restore at a time").contains("EtcdRestore backups/first");
  }

  private Path fileOnNode(String node, String snapshot) {
    EtcdSnapshot s = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName(snapshot).get();
    return work.resolve("node-" + node).resolve(s.getStatus().localPath.substring(1));
  }

  private void assertNothingWasTouched(String restore) {
    assertThat(cluster.host("server-1").stops()).isZero();
    assertThat(etcd.all()).containsKey("/registry/after");
    assertThat(cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
        .withName(restore + "-safety").get()).isNull();
    assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).withName(restore + "-server")
        .get()).isNull();
  }

  @Test
  void aSnapshotWithOneFlippedByteIsRefusedInPreflightWithNothingStopped() throws Exception {
    etcd.put("/registry/after", "written after the snapshot");
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(
        fileOnNode("server-1", "good").toFile(), "rw")) {
      f.seek(4096);
      int b = f.read();
      f.seek(4096);
      f.write(b ^ 0x01);
    }

    create("flipped", "good", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("flipped", RestorePhase.Failed);
    assertThat(r.getStatus().message).contains("preflight refused the restore, nothing was "
        + "touched").contains("on node server-1");
    assertThat(r.getStatus().history).extracting((PhaseTransition t) -> t.phase)
        .containsExactly(RestorePhase.Pending, RestorePhase.Preflight, RestorePhase.Failed);
    assertNothingWasTouched("flipped");
  }

  @Test
  void aSnapshotTakenWithAnotherServerTokenIsRefusedInPreflight() throws Exception {
    etcd.put("/registry/after", "written after the snapshot");
    java.nio.file.Files.writeString(work.resolve(
        "node-server-1/var/lib/rancher/k3s/server/token"), "K10abcdef::server:rotated\n");

    create("other-token", "good", true, null, java.util.List.of());

    assertThat(awaitPhase("other-token", RestorePhase.Failed).getStatus().message)
        .contains("was taken with another server token than this node's")
        .contains("K3s could not decrypt the snapshot's bootstrap data");
    assertNothingWasTouched("other-token");
  }

  @Test
  void aSnapshotInS3IsFetchedOntoTheServerVerifiedAndRestored() throws Exception {
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    spec.namePrefix = "offsite";
    spec.s3 = s3.storage("backups", "k3s", "s3-keys");
    EtcdSnapshot offsite = takeSnapshot("offsite", spec);
    String file = offsite.getStatus().snapshotName;
    leaveOnlyTheS3Copy(offsite);
    etcd.put("/registry/after", "written after the snapshot");

    create("from-s3", "offsite", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("from-s3", RestorePhase.Succeeded);
    assertThat(r.getStatus().plan.fetchFrom).isEqualTo("s3://backups/k3s/" + file);
    assertThat(r.getStatus().history.get(2).message).contains("fetched from S3");
    Path fetched = work.resolve("node-server-1/var/lib/rancher/k3s/server/db/snapshots/" + file);
    assertThat(fetched).exists();
    assertThat(dev.k3sbackup.testing.Hashes.sha256(fetched)).isEqualTo(r.getStatus().plan.sha256);
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
    assertThat(r.getStatus().nodes).singleElement().satisfies(n -> {
      assertThat(n.node).isEqualTo("server-1");
      assertThat(n.steps).extracting(st -> st.step + " " + st.state)
          .containsExactly("verify Done", "prepare Done", "stop Done", "reset Done", "start Done");
    });
  }

  /** A Secret in the operator's namespace holding {@code key} = {@code value}. */
  private void secret(String name, String key, String value) {
    cluster.client().secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model
        .SecretBuilder().withNewMetadata().withName(name).endMetadata()
        .addToData(key, java.util.Base64.getEncoder().encodeToString(
            value.getBytes(java.nio.charset.StandardCharsets.UTF_8))).build()).create();
  }

  @Test
  void anEncryptedS3SnapshotIsDecryptedInPreflightAndRestoredAndAWrongOrMissingKeyIsRefused()
      throws Exception {
    S3Fixture.createKeySecret(cluster.client(), NS, "s3-keys");
    Path identityFile = AgeKeys.keygen(work.resolve("identity.txt"));
    Path otherFile = AgeKeys.keygen(work.resolve("other.txt"));
    secret("age-recipients", "recipients", "# admins\n" + AgeKeys.publicKey(identityFile)
        + "\n");
    secret("age-identity", "identity", java.nio.file.Files.readString(identityFile));
    secret("age-other", "identity", java.nio.file.Files.readString(otherFile));
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    spec.namePrefix = "sealed";
    spec.s3 = s3.storage("backups", "k3s", "s3-keys");
    spec.encryption = new dev.k3sbackup.api.v1alpha1.SnapshotEncryption();
    spec.encryption.recipientsSecret = "age-recipients";
    EtcdSnapshot sealed = takeSnapshot("sealed", spec);
    String file = sealed.getStatus().snapshotName;
    assertThat(file).endsWith(".age");
    assertThat(sealed.getStatus().encrypted).isTrue();
    Path object = s3.download("backups", "k3s/" + file, work.resolve("object.age"));
    assertThat(dev.k3sbackup.testing.Hashes.sha256(object)).isEqualTo(sealed.getStatus().sha256);
    assertThat(java.nio.file.Files.readString(object, java.nio.charset.StandardCharsets
        .ISO_8859_1)).startsWith("age-encryption.org/v1");
    leaveOnlyTheS3Copy(sealed); // the server node fetches and decrypts it
    etcd.put("/registry/after", "written after the snapshot");
    Path snapshots = work.resolve("node-server-1/var/lib/rancher/k3s/server/db/snapshots");

    // no identity: refused through the API, naming the field
    create("no-key", "sealed", true, null, java.util.List.of());
    EtcdRestore noKey = awaitPhase("no-key", RestorePhase.Failed);
    assertThat(noKey.getStatus().message).contains("spec.decryption.identitySecret")
        .contains("encrypted with age").contains("nothing was touched");

    // a Secret that is not there: refused before any Job, naming the field and the fix
    EtcdRestore absent = restoreWithIdentity("absent-key", "no-such-secret");
    cluster.client().resource(absent).create();
    absent = awaitPhase("absent-key", RestorePhase.Failed);
    assertThat(absent.getStatus().message).contains("spec.decryption.identitySecret")
        .contains("no-such-secret").contains("kubectl create secret generic");

    // the wrong identity: refused by the node's preflight, nothing stopped, no plaintext left
    cluster.client().resource(restoreWithIdentity("wrong-key", "age-other")).create();
    EtcdRestore wrong = awaitPhase("wrong-key", RestorePhase.Failed);
    assertThat(wrong.getStatus().message).contains("preflight refused the restore")
        .contains("nothing was touched").contains("spec.decryption.identitySecret")
        .contains("matches none of the recipients")
        .doesNotContain(AgeKeys.secretKey(otherFile));
    assertThat(etcd.all()).containsKey("/registry/after");
    try (var files = java.nio.file.Files.list(snapshots)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(
          ".decrypted"));
    }

    // the right identity: decrypted into the snapshot dir in preflight, then restored from it
    cluster.client().resource(restoreWithIdentity("unsealed", "age-identity")).create();
    EtcdRestore r = awaitPhase("unsealed", RestorePhase.Succeeded);
    String decrypted = file.substring(0, file.length() - ".age".length()) + ".decrypted";
    assertThat(r.getStatus().plan.snapshotPath).endsWith("/" + decrypted);
    assertThat(r.getStatus().history.get(2).message).contains("fetched from S3")
        .contains("decrypted next to it");
    // the reset read the plaintext age itself makes of the object; it is not left on the node
    Path plain = work.resolve("decrypted-by-age");
    dev.k3sbackup.testing.Processes.run("age", "-d", "-i", identityFile.toString(), "-o",
        plain.toString(), object.toString()).requireSuccess(java.util.List.of("age -d"));
    assertThat(dev.k3sbackup.testing.Hashes.sha256(plain)).isEqualTo(r.getStatus().plan.sha256);
    assertThat(snapshots.resolve(decrypted)).doesNotExist();
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
    // the identity never reaches status or events
    String key = AgeKeys.secretKey(identityFile);
    assertThat(cluster.client().resources(EtcdRestore.class).inNamespace(NS).list().getItems()
        .toString()).doesNotContain(key);
    assertThat(cluster.client().v1().events().inNamespace(NS).list().getItems().toString())
        .doesNotContain(key);
  }

  private static EtcdRestore restoreWithIdentity(String name, String secret) {
    EtcdRestore r = new EtcdRestore();
    r.getMetadata().setName(name);
    r.getMetadata().setNamespace(NS);
    r.setSpec(new EtcdRestoreSpec());
    r.getSpec().snapshot = "sealed";
    r.getSpec().confirm = true;
    r.getSpec().peers = java.util.List.of();
    r.getSpec().safetySnapshot = false;
    r.getSpec().decryption = new dev.k3sbackup.api.v1alpha1.SnapshotDecryption();
    r.getSpec().decryption.identitySecret = secret;
    return r;
  }

  @Test
  void whenTheRollbackRemovesTheRestoreItsOutcomeIsShownOnARecreatedOne() throws Exception {
    etcd.put("/registry/after", "written after the snapshot");
    // stopping the only server takes the API server down; it comes back with the snapshot's
    // state, in which this restore, its Jobs and its safety snapshot never existed
    cluster.host("server-1").onStopAndStart(cluster::apiDown, () -> {
      cluster.rollBackRestore("vanishing");
      cluster.apiUp();
    });

    create("vanishing", "good", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("vanishing", RestorePhase.Succeeded);
    assertThat(r.getMetadata().getAnnotations())
        .containsKey(Annotations.RECOVERED_FROM_JOURNAL);
    assertThat(r.getStatus().message).contains("recreated from the restore journals");
    assertThat(r.getStatus().nodes).singleElement().satisfies(n -> {
      assertThat(n.node).isEqualTo("server-1");
      assertThat(n.role).isEqualTo("server");
      assertThat(n.steps).extracting(st -> st.step + " " + st.state)
          .containsExactly("verify Done", "prepare Done", "stop Done", "reset Done", "start Done");
      assertThat(n.steps).allSatisfy(st -> assertThat(st.finished).isNotNull());
    });
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
    assertThat(cluster.host("server-1").resets()).isOne();
    // shown once: the journal is acknowledged and not reported again
    Thread.sleep(3000);
    assertThat(cluster.client().resources(EtcdRestore.class).inNamespace(NS).list().getItems())
        .hasSize(1);

    // GitOps applies the same manifest again (a new resource: same name and spec, new uid)
    cluster.client().resources(EtcdRestore.class).inNamespace(NS).withName("vanishing")
        .delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.client()
        .resources(EtcdRestore.class).inNamespace(NS).withName("vanishing").get() == null);
    create("vanishing", "good", true, null, java.util.List.of());

    EtcdRestore again = awaitPhase("vanishing", RestorePhase.Failed);
    assertThat(again.getMetadata().getAnnotations()).doesNotContainKey(
        Annotations.RECOVERED_FROM_JOURNAL);
    assertThat(again.getStatus().message).contains("already ran")
        .contains("applying it again does not restore again")
        .contains("set spec.confirmation to a new value");
    assertThat(cluster.host("server-1").resets()).as("no second reset").isOne();
    assertThat(cluster.host("server-1").stops()).isOne();

    // a new confirmation is a new intent: it restores again
    cluster.client().resources(EtcdRestore.class).inNamespace(NS).withName("vanishing")
        .delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.client()
        .resources(EtcdRestore.class).inNamespace(NS).withName("vanishing").get() == null);
    EtcdRestore renewed = new EtcdRestore();
    renewed.getMetadata().setName("vanishing");
    renewed.getMetadata().setNamespace(NS);
    renewed.setSpec(new EtcdRestoreSpec());
    renewed.getSpec().snapshot = "good";
    renewed.getSpec().confirm = true;
    renewed.getSpec().peers = java.util.List.of();
    renewed.getSpec().confirmation = "2026-11-30";
    cluster.client().resource(renewed).create();
    await().atMost(Duration.ofSeconds(120)).until(() -> cluster.host("server-1").resets() == 2);
  }

  @Test
  void aRestoreFromANonDefaultDataDirAndSnapshotDirJournalsWhereItIsReadBack() throws Exception {
    // server-1's K3s runs with --data-dir /srv/k3s and --etcd-snapshot-dir /srv/k3s-snapshots
    Path node = work.resolve("node-server-1");
    Path server = node.resolve("srv/k3s/server");
    java.nio.file.Files.createDirectories(server.resolve("tls/etcd"));
    java.nio.file.Files.writeString(server.resolve("token"), "K10abcdef::server:cluster-token\n");
    EtcdSnapshotSpec spec = new EtcdSnapshotSpec();
    spec.node = "server-1";
    spec.local = new dev.k3sbackup.api.v1alpha1.LocalStorage();
    spec.local.dataDir = "/srv/k3s";
    spec.local.dir = "/srv/k3s-snapshots";
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("elsewhere");
    s.getMetadata().setNamespace(NS);
    s.setSpec(spec);
    cluster.client().resource(s).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      EtcdSnapshot g = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("elsewhere").get();
      return g.getStatus() != null && g.getStatus().phase == SnapshotPhase.Succeeded;
    });
    assertThat(fileOnNode("server-1", "elsewhere")).exists()
        .hasParent(node.resolve("srv/k3s-snapshots"));
    etcd.put("/registry/after", "written after the snapshot");
    cluster.host("server-1").onStopAndStart(cluster::apiDown, () -> {
      cluster.rollBackRestore("moved");
      cluster.apiUp();
    });

    create("moved", "elsewhere", true, null, java.util.List.of());

    EtcdRestore r = awaitPhase("moved", RestorePhase.Succeeded);
    String uid = r.getMetadata().getAnnotations().get(Annotations.RECOVERED_FROM_JOURNAL);
    assertThat(uid).as("read back from the journal after the rollback").isNotNull();
    assertThat(node.resolve("srv/k3s/server/k3s-etcd-backup/restore-" + uid + ".json"))
        .as("journaled under the snapshot's data dir").exists();
    assertThat(node.resolve("var/lib/rancher/k3s/server/k3s-etcd-backup/restore-" + uid
        + ".json")).as("not under K3s's default one").doesNotExist();
    assertThat(r.getStatus().nodes).singleElement().satisfies(n ->
        assertThat(n.steps).extracting(st -> st.step + " " + st.state)
            .containsExactly("verify Done", "prepare Done", "stop Done", "reset Done", "start Done"));
    assertThat(etcd.all()).containsKey("/registry/a").doesNotContainKey("/registry/after");
  }
}
