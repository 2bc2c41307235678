package dev.k3sbackup.reconciler;

import dev.k3sbackup.api.Annotations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdRestoreSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.NodeRestoreStatus;
import dev.k3sbackup.api.v1alpha1.RestorePhase;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.MutableClock;
import dev.k3sbackup.testing.OperatorHarness;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.S3Fixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * K3s's HA restore run by the operator on a real 3-member etcd, one member per node: S1 resets
 * from the snapshot, S2 and S3 stop, move their data aside and rejoin. The API server goes away
 * while S1 is down and comes back with the snapshot's state, without the EtcdRestore; the
 * outcome is read back from the nodes' journals onto a recreated resource.
 */
class HaRestoreOperatorIT {

  private static final String NS = OperatorHarness.NAMESPACE;

  @RegisterExtension
  static final S3ProxyExtension S3_SERVER = S3Fixture.server();

  @TempDir
  Path work;

  private List<EtcdProcess> members = List.of();
  private OperatorHarness cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    members.forEach(EtcdProcess::close);
  }

  @Test
  void restoresThreeServersIntoOneClusterAndShowsTheOutcomeAfterTheRollback() throws Exception {
    new S3Fixture(S3_SERVER.getUri()).bucket("unused"); // S3Proxy needs one to shut down
    members = EtcdProcess.startCluster(work, 3);
    EtcdProcess s1 = members.get(0);
    Map<String, String> before = new TreeMap<>();
    for (int i = 0; i < 5; i++) {
      s1.put("/registry/before/" + i, "v" + i);
      before.put("/registry/before/" + i, "v" + i);
    }
    cluster = new OperatorHarness(new MutableClock(Instant.parse("2026-11-21T12:00:00Z")));
    for (int i = 0; i < 3; i++) {
      cluster.addEtcdNode("server-" + (i + 1), work.resolve("node-" + (i + 1)), members.get(i));
    }
    cluster.startOperator();
    EtcdSnapshot snapshot = new EtcdSnapshot();
    snapshot.getMetadata().setName("good");
    snapshot.getMetadata().setNamespace(NS);
    snapshot.setSpec(new EtcdSnapshotSpec());
    snapshot.getSpec().node = "server-1";
    cluster.client().resource(snapshot).create();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      EtcdSnapshot g = cluster.client().resources(EtcdSnapshot.class).inNamespace(NS)
          .withName("good").get();
      return g.getStatus() != null && g.getStatus().phase == SnapshotPhase.Succeeded;
    });
    s1.put("/registry/after/deployment", "made after the snapshot");
    // with S1 down and the peers wiping, there is no API server; it returns with the
    // snapshot's state, in which this restore, its Jobs and its safety snapshot never existed
    cluster.host("server-1").onStopAndStart(cluster::apiDown, () -> {
      cluster.rollBackRestore("ha");
      cluster.apiUp();
    });

    EtcdRestore restore = new EtcdRestore();
    restore.getMetadata().setName("ha");
    restore.getMetadata().setNamespace(NS);
    restore.setSpec(new EtcdRestoreSpec());
    restore.getSpec().snapshot = "good";
    restore.getSpec().confirm = true;
    cluster.client().resource(restore).create();

    await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
      EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
          .withName("ha").get();
      assertThat(r).isNotNull();
      assertThat(r.getMetadata().getAnnotations())
          .containsKey(Annotations.RECOVERED_FROM_JOURNAL);
      assertThat(r.getStatus()).isNotNull();
      assertThat(r.getStatus().phase).as(r.getStatus().message)
          .isEqualTo(RestorePhase.Succeeded);
    });
    EtcdRestore r = cluster.client().resources(EtcdRestore.class).inNamespace(NS)
        .withName("ha").get();
    assertThat(r.getStatus().message).contains("server-2, server-3 rejoined")
        .contains("recreated from the restore journals");
    assertThat(r.getStatus().nodes).extracting((NodeRestoreStatus n) -> n.node + " " + n.role)
        .containsExactlyInAnyOrder("server-1 server", "server-2 peer", "server-3 peer");
    NodeRestoreStatus server = r.getStatus().nodes.stream()
        .filter(n -> n.node.equals("server-1")).findFirst().orElseThrow();
    assertThat(server.steps).extracting(s -> s.step).startsWith("verify", "prepare",
        "await-peers-ready",
        "stop", "reset", "await-peers", "start");
    for (NodeRestoreStatus peer : r.getStatus().nodes) {
      if (peer.role.equals("peer")) {
        assertThat(peer.steps).extracting(s -> s.step + " " + s.state).containsExactly(
            "await-reset Done", "stop Done", "wipe Done", "await-server Done", "start Done");
      }
    }

    // a peer's K3s start returns once its etcd serves, which it does only once published; S1
    // may apply that publication a moment after the peer did
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Processes.Result list = Processes.run(List.of("etcdctl", "--endpoints", s1.endpoint(),
          "member", "list"), Map.of("ETCDCTL_API", "3"), null);
      assertThat(list.output().lines().filter(l -> l.contains(", started,"))).hasSize(3);
    });
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (EtcdProcess m : members) {
        Processes.Result health = Processes.run(List.of("etcdctl", "--endpoints", m.endpoint(),
            "endpoint", "health"), Map.of("ETCDCTL_API", "3"), null);
        assertThat(health.exitCode()).as(health.output()).isZero();
      }
    });
    // a member that has just joined serves reads once it has caught up
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() -> {
      for (EtcdProcess m : members) {
        assertThat(m.all()).as(m.name()).isEqualTo(before);
      }
    });
    // nothing destroyed: S1's old data and the peers' data are kept aside
    assertThat(s1.dataDir().resolveSibling("etcd-old-1")).isDirectory();
    for (EtcdProcess peer : members.subList(1, 3)) {
      assertThat(peer.dataDir().resolveSibling(peer.dataDir().getFileName() + "-aside"))
          .isDirectory();
    }
    assertThat(cluster.host("server-1").resets()).isOne();
  }
}
