package dev.k3sbackup.restore;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * K3s's HA restore (S1 resets, S2 and S3 stop, move their data aside and rejoin) on a real
 * 3-member etcd cluster, the three agents coordinating only through each other's status
 * servers, as they must while the API server is down.
 */
class HaRestoreIT {

  @TempDir
  Path work;

  private List<EtcdProcess> members = List.of();
  private final List<RestoreStatusServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(RestoreStatusServer::close);
    members.forEach(EtcdProcess::close);
  }

  private URI serve(java.util.function.Supplier<AgentStatus> status) {
    RestoreStatusServer s = RestoreStatusServer.start(new InetSocketAddress("127.0.0.1", 0),
        status);
    servers.add(s);
    return URI.create("http://127.0.0.1:" + s.port() + "/");
  }

  @Test
  void restoresAllThreeMembersIntoOneClusterAtTheSnapshotsState() throws Exception {
    members = EtcdProcess.startCluster(work, 3);
    EtcdProcess s1 = members.get(0);
    Map<String, String> before = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      s1.put("/registry/before/" + i, "v" + i);
      before.put("/registry/before/" + i, "v" + i);
    }
    Path dir = work.resolve("snapshots");
    Cli.Run save = new Cli().run("save", "--endpoints", s1.endpoint(), "--dir", dir.toString(),
        "--node-name", "s1");
    assertThat(save.exitCode()).as(save.all()).isZero();
    Path snapshot;
    try (var files = Files.list(dir)) {
      snapshot = files.findFirst().orElseThrow();
    }
    s1.put("/registry/after/deployment", "made after the snapshot");

    PeerProbe probe = new PeerProbe(Clock.systemUTC(), Duration.ofMinutes(2),
        Duration.ofMillis(200));
    ServerRestore server = new ServerRestore(new EtcdBackedHost(s1),
        RestoreJournal.open(work.resolve("s1/journal.json"), Clock.systemUTC()), probe);
    PeerRestore peer2 = new PeerRestore(new EtcdBackedHost(members.get(1), s1),
        RestoreJournal.open(work.resolve("s2/journal.json"), Clock.systemUTC()), probe);
    PeerRestore peer3 = new PeerRestore(new EtcdBackedHost(members.get(2), s1),
        RestoreJournal.open(work.resolve("s3/journal.json"), Clock.systemUTC()), probe);
    URI s1Agent = serve(() -> server.status("s1"));
    URI s2Agent = serve(() -> peer2.status("s2"));
    URI s3Agent = serve(() -> peer3.status("s3"));

    String sha256 = Hashes.sha256(snapshot);
    ExecutorService agents = Executors.newFixedThreadPool(3);
    List<Future<?>> runs = List.of(
        agents.submit(() -> server.run(new ServerRestore.Plan(snapshot, sha256,
            List.of(s2Agent, s3Agent)))),
        agents.submit(() -> peer2.run(s1Agent)),
        agents.submit(() -> peer3.run(s1Agent)));
    // peers first: when one fails, its own error is the one reported (the server would only
    // report that it waited in vain)
    for (Future<?> run : List.of(runs.get(1), runs.get(2), runs.get(0))) {
      run.get(3, TimeUnit.MINUTES);
    }
    agents.shutdown();

    assertThat(s1.all()).isEqualTo(before);
    assertThat(members.get(2).all()).isEqualTo(before);
    Processes.Result list = Processes.run(List.of("etcdctl", "--endpoints", s1.endpoint(),
        "member", "list"), Map.of("ETCDCTL_API", "3"), null);
    assertThat(list.output().lines().filter(l -> l.contains(", started,"))).hasSize(3);
    // a member that has just joined needs a moment before it commits proposals
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (EtcdProcess m : members) {
        Processes.Result health = Processes.run(List.of("etcdctl", "--endpoints", m.endpoint(),
            "endpoint", "health"), Map.of("ETCDCTL_API", "3"), null);
        assertThat(health.exitCode()).as(health.output()).isZero();
      }
    });
    assertThat(work.resolve("s1/etcd-old-1")).isDirectory();
    assertThat(work.resolve("s2/etcd-data-aside")).isDirectory();
    assertThat(work.resolve("s3/etcd-data-aside")).isDirectory();
  }
}
