package dev.k3sbackup.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.LocalStorage;
import dev.k3sbackup.api.v1alpha1.RestorePlan;
import dev.k3sbackup.api.v1alpha1.S3Location;
import dev.k3sbackup.api.v1alpha1.S3Storage;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.cluster.EtcdNodes.EtcdNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The restore plan, decided from the spec and the cluster's state alone. */
class RestorePlannerTest {

  private static final String FILE = "on-demand-s1-1795262400";
  private static final List<EtcdNode> THREE = List.of(new EtcdNode("s1", "10.0.0.1"),
      new EtcdNode("s2", "10.0.0.2"), new EtcdNode("s3", "10.0.0.3"));

  private static EtcdRestoreSpec spec() {
    EtcdRestoreSpec spec = new EtcdRestoreSpec();
    spec.snapshot = "good";
    spec.confirm = true;
    return spec;
  }

  /** A succeeded snapshot whose file is on {@code node} (null: only in S3). */
  private static EtcdSnapshot snapshot(String node, String localPath, boolean inS3) {
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName("good");
    s.setSpec(new EtcdSnapshotSpec());
    s.setStatus(new EtcdSnapshotStatus());
    s.getStatus().phase = SnapshotPhase.Succeeded;
    s.getStatus().snapshotName = FILE;
    s.getStatus().node = node;
    s.getStatus().localPath = localPath;
    s.getStatus().sha256 = "ab".repeat(32);
    s.getStatus().etcdRevision = 42L;
    if (inS3) {
      s.getSpec().s3 = new S3Storage();
      s.getSpec().s3.bucket = "backups";
      s.getStatus().s3 = S3Location.of("backups", "k3s/" + FILE, "s3://backups/k3s/" + FILE,
          null);
    }
    return s;
  }

  private static RestorePlanner.Planned plan(EtcdRestoreSpec spec, EtcdSnapshot snapshot,
      List<EtcdNode> nodes, List<String> running) {
    return RestorePlanner.plan(spec, "backups",
        new RestorePlanner.ClusterState(snapshot, nodes, running, 9791));
  }

  @Test
  void resetsOnTheNodeWithTheFileAndRejoinsEveryOtherEtcdNode() {
    EtcdSnapshot s = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE, false);

    RestorePlan plan = plan(spec(), s, THREE, List.of()).plan();

    assertThat(plan.server).isEqualTo("s1");
    assertThat(plan.peers).containsExactly("s2", "s3");
    assertThat(plan.dataDir).isEqualTo("/var/lib/rancher/k3s");
    assertThat(plan.snapshotPath).isEqualTo(s.getStatus().localPath);
    assertThat(plan.fetchFrom).isNull();
    assertThat(plan.sha256).isEqualTo(s.getStatus().sha256);
    assertThat(plan.etcdRevision).isEqualTo(42L);
    assertThat(plan.agents).containsEntry("s1", "http://10.0.0.1:9791/")
        .containsEntry("s3", "http://10.0.0.3:9791/").hasSize(3);
    assertThat(plan.steps).containsExactly(
        "preflight on s1: verify etcd's trailer and sha256, check that the node's server token "
            + "is the one the snapshot was taken with",
        "operator: safety snapshot of the current state on s1",
        "server s1: verify, prepare, await-peers-ready, stop, reset, await-peers, start, await-rejoin",
        "peer s2: await-reset, stop, wipe, await-server, start",
        "peer s3: await-reset, stop, wipe, await-server, start");
  }

  @Test
  void theDataDirComesFromTheSnapshotsStorageSpecNotFromItsPath() {
    EtcdSnapshot s = snapshot("s1", "/mnt/backups/" + FILE, false);
    s.getSpec().local = new LocalStorage();
    s.getSpec().local.dataDir = "/srv/k3s";
    s.getSpec().local.dir = "/mnt/backups";

    RestorePlan plan = plan(spec(), s, THREE, List.of()).plan();

    assertThat(plan.dataDir).isEqualTo("/srv/k3s");
    assertThat(plan.snapshotPath).isEqualTo("/mnt/backups/" + FILE);
    assertThat(RestorePlanner.layout(plan).journalDir().toString())
        .isEqualTo("/srv/k3s/server/k3s-etcd-backup");
    assertThat(RestorePlanner.layout(plan).snapshotDir().toString()).isEqualTo("/mnt/backups");
  }

  @Test
  void aSnapshotOnlyInS3IsFetchedIntoTheSnapshotDirOfTheFirstReadyNode() {
    EtcdSnapshot s = snapshot(null, null, true);
    s.getSpec().local = new LocalStorage();
    s.getSpec().local.dataDir = "/srv/k3s";
    EtcdRestoreSpec spec = spec();
    spec.peers = List.of();
    spec.safetySnapshot = false;

    RestorePlan plan = plan(spec, s, THREE, List.of()).plan();

    assertThat(plan.server).isEqualTo("s1");
    assertThat(plan.peers).isEmpty();
    assertThat(plan.fetchFrom).isEqualTo("s3://backups/k3s/" + FILE);
    assertThat(plan.snapshotPath).isEqualTo("/srv/k3s/server/db/snapshots/" + FILE);
    assertThat(plan.steps).containsExactly("preflight on s1: fetch the snapshot from "
        + "s3://backups/k3s/" + FILE + ", verify etcd's trailer and sha256, check that the "
        + "node's server token is the one the snapshot was taken with",
        "server s1: verify, prepare, stop, reset, start");
  }

  @Test
  void refusesWhatCannotBeRestoredSafelyNamingTheField() {
    EtcdSnapshot onS1 = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE,
        false);
    EtcdRestoreSpec unconfirmed = spec();
    unconfirmed.confirm = null;
    assertThat(plan(unconfirmed, onS1, THREE, List.of()).problem().reason())
        .isEqualTo("NotConfirmed");
    assertThat(plan(spec(), null, THREE, List.of()).problem().message())
        .contains("EtcdSnapshot 'good' not found in namespace backups");
    EtcdSnapshot running = snapshot("s1", null, false);
    running.getStatus().phase = SnapshotPhase.Running;
    assertThat(plan(spec(), running, THREE, List.of()).problem().reason())
        .isEqualTo("SnapshotNotUsable");
    EtcdSnapshot unverified = snapshot("s1", "/x/" + FILE, false);
    unverified.getStatus().sha256 = null;
    assertThat(plan(spec(), unverified, THREE, List.of()).problem().reason())
        .isEqualTo("SnapshotNotVerified");
    EtcdRestoreSpec elsewhere = spec();
    elsewhere.server = "s2";
    assertThat(plan(elsewhere, onS1, THREE, List.of()).problem().reason())
        .isEqualTo("SnapshotNotOnServer");
    assertThat(RestorePlanner.plan(spec(), "backups", new RestorePlanner.ClusterState(onS1,
        THREE.subList(1, 3), List.of(), 9791, ETCD, ALL)).problem().reason())
        .isEqualTo("ServerNotReady");
    EtcdRestoreSpec strangers = spec();
    strangers.peers = List.of("s9");
    assertThat(planIn(strangers, onS1).problem().message())
        .contains("spec.peers: no node is named 's9'");
    List<EtcdNode> noAddress = List.of(THREE.get(0), new EtcdNode("s2", null));
    assertThat(plan(spec(), onS1, noAddress, List.of()).problem().reason())
        .isEqualTo("NodeAddressUnknown");
  }

  /** Three etcd server nodes and a K3s agent. */
  private static final java.util.Set<String> ETCD = java.util.Set.of("s1", "s2", "s3");
  private static final java.util.Set<String> ALL = java.util.Set.of("s1", "s2", "s3", "agent-1");

  private static RestorePlanner.Planned planIn(EtcdRestoreSpec spec, EtcdSnapshot snapshot) {
    return RestorePlanner.plan(spec, "backups",
        new RestorePlanner.ClusterState(snapshot, THREE, List.of(), 9791, ETCD, ALL));
  }

  @Test
  void refusesUnknownNodesAndNodesWithoutEtcdNamingTheField() {
    EtcdSnapshot onS1 = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE,
        true);
    EtcdRestoreSpec unknownServer = spec();
    unknownServer.server = "s7";
    assertThat(planIn(unknownServer, onS1).problem()).satisfies(p -> {
      assertThat(p.reason()).isEqualTo("NodeNotFound");
      assertThat(p.message()).startsWith("spec.server: no node is named 's7'")
          .contains("kubectl get nodes -l node-role.kubernetes.io/etcd=true");
    });
    EtcdRestoreSpec agentPeer = spec();
    agentPeer.peers = List.of("s2", "agent-1");
    assertThat(planIn(agentPeer, onS1).problem()).satisfies(p -> {
      assertThat(p.reason()).isEqualTo("NotAnEtcdNode");
      assertThat(p.message()).startsWith("spec.peers: node 'agent-1' holds no etcd");
    });
    EtcdRestoreSpec agentServer = spec();
    agentServer.server = "agent-1";
    assertThat(planIn(agentServer, onS1).problem().reason()).isEqualTo("NotAnEtcdNode");
    EtcdRestoreSpec serverAsPeer = spec();
    serverAsPeer.peers = List.of("s1", "s2");
    assertThat(planIn(serverAsPeer, onS1).problem()).satisfies(p -> {
      assertThat(p.reason()).isEqualTo("PeerIsServer");
      assertThat(p.message()).startsWith("spec.peers: s1 is the server");
    });
  }

  @Test
  void anIpv6AddressIsBracketedInTheAgentsUrls() {
    EtcdSnapshot s = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE, false);
    List<EtcdNode> v6 = List.of(new EtcdNode("s1", "fd00:10::1"),
        new EtcdNode("s2", "fd00:10::2"));

    RestorePlan plan = plan(spec(), s, v6, List.of()).plan();

    assertThat(plan.agents).containsEntry("s1", "http://[fd00:10::1]:9791/")
        .containsEntry("s2", "http://[fd00:10::2]:9791/");
    assertThat(java.net.URI.create(plan.agents.get("s2")).getPort()).isEqualTo(9791);
  }

  @Test
  void aVanishedCopyIsNotRestoredFromAndAllGoneIsRefusedWithTheReason() {
    EtcdSnapshot s = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE, true);
    java.time.Instant now = java.time.Instant.parse("2026-11-21T12:00:00Z");
    dev.k3sbackup.status.SnapshotAvailability.record(s,
        dev.k3sbackup.status.SnapshotAvailability.Copy.LOCAL, false, now);

    RestorePlan fromS3 = plan(spec(), s, THREE, List.of()).plan();
    assertThat(fromS3.fetchFrom).isEqualTo("s3://backups/k3s/" + FILE);

    dev.k3sbackup.status.SnapshotAvailability.record(s,
        dev.k3sbackup.status.SnapshotAvailability.Copy.S3, false, now);
    var refused = plan(spec(), s, THREE, List.of()).problem();
    assertThat(refused.reason()).isEqualTo("SnapshotMissing");
    assertThat(refused.message()).startsWith("spec.snapshot: EtcdSnapshot 'good': the file "
        + "/var/lib/rancher/k3s/server/db/snapshots/" + FILE + " on node s1 and the S3 object "
        + "s3://backups/k3s/" + FILE + " are both gone").contains("K3s's own retention");
  }

  @Test
  void oneOperationAtATimeExceptForADryRun() {
    EtcdSnapshot s = snapshot("s1", "/var/lib/rancher/k3s/server/db/snapshots/" + FILE, false);
    List<String> busy = List.of("EtcdRestore backups/first");

    assertThat(plan(spec(), s, THREE, busy).problem().message())
        .contains("one operation at a time: EtcdRestore backups/first is running");
    EtcdRestoreSpec dryRun = spec();
    dryRun.confirm = null;
    dryRun.dryRun = true;
    assertThat(plan(dryRun, s, THREE, busy).refusal()).isEmpty();
  }
}
