package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.testing.Cli;
import dev.k3sbackup.testing.EtcdBackedHost;
import dev.k3sbackup.testing.EtcdProcess;
import dev.k3sbackup.testing.Hashes;
import dev.k3sbackup.testing.Processes;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * K3s's HA restore made safe (S1 resets while S2 and S3 keep serving; they stop and move their
 * data aside only once S1's reset succeeded; then S1 starts and they rejoin) on a real 3-member
 * etcd cluster, the three agents coordinating only through each other's status servers, as they
 * must while the API server is down. The hosts are fakes (named as such) whose K3s is the etcd
 * process, with faults injected where a real host can fail; every outcome ends with a cluster
 * that serves. K3s itself is not here (it cannot be built on this machine).
 */
class HaRestoreIT {

  private static final AgentAuth AUTH = new AgentAuth(RestoreId.of("restore-ha-it"),
      "0123456789abcdef0123456789abcdef-test-token");

  @TempDir
  Path work;

  private List<EtcdProcess> members = List.of();
  private final List<RestoreStatusServer> servers = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> timeline = new ConcurrentLinkedQueue<>();
  private Map<String, String> before;
  private Path snapshot;
  private EtcdBackedHost h1;
  private EtcdBackedHost h2;
  private EtcdBackedHost h3;

  @BeforeEach
  void cluster() throws Exception {
    members = EtcdProcess.startCluster(work, 3);
    EtcdProcess s1 = members.get(0);
    before = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      s1.put("/registry/before/" + i, "v" + i);
      before.put("/registry/before/" + i, "v" + i);
    }
    Path dir = work.resolve("snapshots");
    Cli.Run save = new Cli().run("save", "--endpoints", s1.endpoint(), "--dir", dir.toString(),
        "--node-name", "s1");
    assertThat(save.exitCode()).as(save.all()).isZero();
    try (var files = Files.list(dir)) {
      snapshot = files.findFirst().orElseThrow();
    }
    s1.put("/registry/after/deployment", "made after the snapshot");
    h1 = new EtcdBackedHost(members.get(0));
    h2 = new EtcdBackedHost(members.get(1), s1);
    h3 = new EtcdBackedHost(members.get(2), s1);
  }

  @AfterEach
  void stop() {
    servers.forEach(RestoreStatusServer::close);
    members.forEach(EtcdProcess::close);
  }

  /** A host that writes what it does to the timeline, in the order it happens. */
  private NodeHost recording(String node, NodeHost host) {
    return new NodeHost() {
      @Override
      public void stopK3s() {
        host.stopK3s();
        timeline.add(node + " stop");
      }

      @Override
      public void startK3s() {
        host.startK3s();
        timeline.add(node + " start");
      }

      @Override
      public Path clusterReset(Path s) {
        try {
          Path old = host.clusterReset(s);
          timeline.add(node + " reset");
          return old;
        } catch (RuntimeException e) {
          timeline.add(node + " reset failed");
          throw e;
        }
      }

      @Override
      public void undoReset(Path movedAside) {
        host.undoReset(movedAside);
        timeline.add(node + " undo");
      }

      @Override
      public Path moveDbAside() {
        Path aside = host.moveDbAside();
        timeline.add(node + " wipe");
        return aside;
      }
    };
  }

  private URI serve(java.util.function.Supplier<AgentStatus> status) {
    RestoreStatusServer s = RestoreStatusServer.start(new InetSocketAddress("127.0.0.1", 0),
        AUTH, status);
    servers.add(s);
    return URI.create("http://127.0.0.1:" + s.port() + "/");
  }

  /** What each agent's run ended with: null when it finished, else its failure. */
  private record Outcome(Throwable server, Throwable peer2, Throwable peer3) {}

  private Outcome restore() throws Exception {
    PeerProbe probe = new PeerProbe(Clock.systemUTC(), Duration.ofSeconds(40),
        Duration.ofMillis(200), AUTH);
    ServerRestore server = new ServerRestore(recording("s1", h1),
        RestoreJournal.open(work.resolve("s1/journal.json"), Clock.systemUTC()), probe);
    PeerRestore peer2 = new PeerRestore(recording("s2", h2),
        RestoreJournal.open(work.resolve("s2/journal.json"), Clock.systemUTC()), probe);
    PeerRestore peer3 = new PeerRestore(recording("s3", h3),
        RestoreJournal.open(work.resolve("s3/journal.json"), Clock.systemUTC()), probe);
    URI s1Agent = serve(() -> server.status("s1"));
    serve(() -> peer2.status("s2"));
    serve(() -> peer3.status("s3"));
    URI s2Agent = URI.create("http://127.0.0.1:" + servers.get(1).port() + "/");
    URI s3Agent = URI.create("http://127.0.0.1:" + servers.get(2).port() + "/");
    // no K3s answers here: the peers learn that the server is up from its agent
    URI noK3s = URI.create("http://127.0.0.1:1/ping");

    String sha256 = Hashes.sha256(snapshot);
    ExecutorService agents = Executors.newFixedThreadPool(3);
    List<Future<?>> runs = List.of(
        agents.submit(() -> server.run(new ServerRestore.Plan(snapshot, sha256,
            List.of(s2Agent, s3Agent)))),
        agents.submit(() -> peer2.run(s1Agent, noK3s)),
        agents.submit(() -> peer3.run(s1Agent, noK3s)));
    List<Throwable> failures = new ArrayList<>();
    for (Future<?> run : runs) {
      Throwable t = catchThrowable(() -> run.get(4, TimeUnit.MINUTES));
      failures.add(t == null ? null : t.getCause() != null ? t.getCause() : t);
    }
    agents.shutdown();
    return new Outcome(failures.get(0), failures.get(1), failures.get(2));
  }

  private List<String> events() {
    return List.copyOf(timeline);
  }

  private void assertAllThreeServeOneCluster() {
    // a peer's start returns once its etcd serves (published); S1 may apply that a moment later
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Processes.Result list = Processes.run(List.of("etcdctl", "--endpoints",
          members.get(0).endpoint(), "member", "list"), Map.of("ETCDCTL_API", "3"), null);
      assertThat(list.output().lines().filter(l -> l.contains(", started,"))).as(list.output())
          .hasSize(3);
    });
    // a member that has just joined needs a moment before it commits proposals
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (EtcdProcess m : members) {
        Processes.Result health = Processes.run(List.of("etcdctl", "--endpoints", m.endpoint(),
            "endpoint", "health"), Map.of("ETCDCTL_API", "3"), null);
        assertThat(health.exitCode()).as(health.output()).isZero();
      }
    });
  }

  @Test
  void restoresAllThreeInK3sOrderMadeSafe() throws Exception {
    Outcome outcome = restore();

    assertThat(outcome.server()).isNull();
    assertThat(outcome.peer2()).isNull();
    assertThat(outcome.peer3()).isNull();
    List<String> e = events();
    // S1 resets while the peers still serve; they stop only after its reset succeeded
    assertThat(e.indexOf("s1 reset")).isLessThan(e.indexOf("s2 stop"))
        .isLessThan(e.indexOf("s3 stop"));
    // S1 starts once both moved their data aside, and they start after it
    assertThat(e.indexOf("s1 start")).isGreaterThan(e.indexOf("s2 wipe"))
        .isGreaterThan(e.indexOf("s3 wipe")).isLessThan(e.indexOf("s2 start"))
        .isLessThan(e.indexOf("s3 start"));
    assertThat(members.get(0).all()).isEqualTo(before);
    assertThat(members.get(2).all()).isEqualTo(before);
    assertAllThreeServeOneCluster();
    assertThat(work.resolve("s1/etcd-old-1")).isDirectory();
    assertThat(work.resolve("s2/etcd-data-aside")).isDirectory();
    assertThat(work.resolve("s3/etcd-data-aside")).isDirectory();
  }

  @Test
  void s1sResetKilledMidwayLeavesS1OnItsOwnDataAndThePeersUntouched() throws Exception {
    h1.inject(EtcdBackedHost.Fault.RESET_DIES_AFTER_MOVE);

    Outcome outcome = restore();

    assertThat(outcome.server()).hasMessageContaining("killed")
        .hasMessageContaining("the node's own data was moved back")
        .hasMessageContaining("K3s was started again on this node's own data")
        .hasMessageContaining("the peers were not touched");
    assertThat(outcome.peer2()).hasMessageContaining("nothing was touched here");
    assertThat(outcome.peer3()).hasMessageContaining("nothing was touched here");
    assertThat(h2.stops()).isZero();
    assertThat(h3.stops()).isZero();
    assertThat(events()).containsExactly("s1 stop", "s1 reset failed", "s1 undo", "s1 start");
    // the old cluster, whole: the write made after the snapshot is still there
    assertAllThreeServeOneCluster();
    assertThat(members.get(0).all()).containsKey("/registry/after/deployment");
  }

  @Test
  void aResetRefusedBeforeItMovedAnythingStartsS1AgainAsItWas() throws Exception {
    h1.inject(EtcdBackedHost.Fault.RESET_REFUSED);

    Outcome outcome = restore();

    assertThat(outcome.server()).hasMessageContaining("server URL is set")
        .hasMessageContaining("the reset had not moved the node's data");
    assertThat(events()).containsExactly("s1 stop", "s1 reset failed", "s1 start");
    assertThat(h2.stops() + h3.stops()).isZero();
    assertAllThreeServeOneCluster();
    assertThat(members.get(1).all()).containsKey("/registry/after/deployment");
  }

  @Test
  void peersThatCannotStopKeepTheOldClusterSoS1UndoesItsReset() throws Exception {
    h2.inject(EtcdBackedHost.Fault.STOP_FAILS);
    h3.inject(EtcdBackedHost.Fault.STOP_FAILS);

    Outcome outcome = restore();

    assertThat(outcome.peer2()).hasMessageContaining("systemctl stop k3s exited 1");
    assertThat(outcome.server()).hasMessageContaining("the old cluster can still have quorum")
        .hasMessageContaining("the restore changed nothing");
    List<String> e = events();
    assertThat(e).contains("s1 reset", "s1 undo", "s1 start").doesNotContain("s2 wipe",
        "s3 wipe");
    assertAllThreeServeOneCluster();
    assertThat(members.get(0).all()).containsKey("/registry/after/deployment");
  }

  @Test
  void aPeerThatCannotMoveItsDataAsideStartsAgainAndTheRestoredClusterGoesOnWithoutIt()
      throws Exception {
    h2.inject(EtcdBackedHost.Fault.WIPE_FAILS);

    Outcome outcome = restore();

    assertThat(outcome.peer2()).hasMessageContaining("cannot move server/db aside")
        .hasMessageContaining("K3s was started again on this node's own data");
    // only s2 kept the old data: the old cluster has no quorum, so the restored one may serve
    assertThat(outcome.server()).hasMessageContaining("K3s was started here from the snapshot")
        .hasMessageContaining("move server/db aside on");
    assertThat(outcome.peer3()).isNull();
    assertThat(members.get(0).all()).isEqualTo(before);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
        assertThat(members.get(2).all()).isEqualTo(before));
  }

  @Test
  void anAnswerWithoutThisRestoresTokenIsNotBelieved() throws Exception {
    URI agent = serve(() -> new AgentStatus("s1", dev.k3sbackup.contract.RestoreRole.SERVER,
        List.of(dev.k3sbackup.contract.RestoreStep.RESET), null));
    PeerProbe right = new PeerProbe(Clock.systemUTC(), Duration.ofSeconds(1),
        Duration.ofMillis(100), AUTH);
    PeerProbe wrongToken = new PeerProbe(Clock.systemUTC(), Duration.ofSeconds(1),
        Duration.ofMillis(100), new AgentAuth(AUTH.restoreId(), "x".repeat(40)));
    PeerProbe otherRestore = new PeerProbe(Clock.systemUTC(), Duration.ofSeconds(1),
        Duration.ofMillis(100), new AgentAuth(RestoreId.of("restore-other"), AUTH.token()));

    assertThat(right.state(agent).answered()).isTrue();
    assertThat(right.state(agent).done()).contains(dev.k3sbackup.contract.RestoreStep.RESET);
    assertThat(wrongToken.state(agent).answered()).isFalse();
    assertThat(otherRestore.state(agent).answered()).isFalse();
    var plain = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
        .newBuilder(agent).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(401);
    assertThat(plain.body()).isEmpty();
  }
}
