package dev.k3sbackup.testing;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd server (Debian's etcd-server) on free loopback ports with its own data dir.
 * Optionally serves TLS with client certificates, like K3s's embedded etcd.
 */
public final class EtcdProcess implements AutoCloseable {

  private final String name;
  private final Path dataDir;
  private final int clientPort;
  private final int peerPort;
  private final TlsFiles tls;
  private final Path log;
  private Process process;
  private Client client;
  private String initialCluster;
  private String clusterState = "new";

  private EtcdProcess(String name, Path dataDir, int clientPort, int peerPort, TlsFiles tls) {
    this.name = name;
    this.dataDir = dataDir;
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.tls = tls;
    this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
  }

  /** Starts a fresh single-member etcd with plain http under {@code work}. */
  public static EtcdProcess start(Path work) {
    return new EtcdProcess("n1", work.resolve("etcd-data"), Processes.freePort(),
        Processes.freePort(), null).launch();
  }

  /** Starts a fresh single-member etcd that requires TLS client certificates. */
  public static EtcdProcess startTls(Path work, TlsFiles tls) {
    return new EtcdProcess("n1", work.resolve("etcd-data"), Processes.freePort(),
        Processes.freePort(), tls).launch();
  }

  /**
   * Restores {@code snapshot} with {@code etcdctl snapshot restore} (the judge, not our code)
   * into a new data dir and starts etcd on it.
   */
  public static EtcdProcess restoreAndStart(Path snapshot, Path work) {
    int peer = Processes.freePort();
    Path restored = work.resolve("restored-data");
    Processes.run(List.of("etcdctl", "snapshot", "restore", snapshot.toString(), "--data-dir",
        restored.toString(), "--name", "r", "--initial-cluster", "r=http://127.0.0.1:" + peer,
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer),
        Map.of("ETCDCTL_API", "3"), null).requireSuccess(List.of("etcdctl snapshot restore"));
    return new EtcdProcess("r", restored, Processes.freePort(), peer, null).launch();
  }

  /** Starts an n-member cluster on loopback, members named s1..sn. */
  public static List<EtcdProcess> startCluster(Path work, int n) {
    List<EtcdProcess> members = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      members.add(new EtcdProcess("s" + i, work.resolve("s" + i + "/etcd-data"),
          Processes.freePort(), Processes.freePort(), null));
    }
    String cluster = String.join(",", members.stream()
        .map(m -> m.name + "=http://127.0.0.1:" + m.peerPort).toList());
    for (EtcdProcess m : members) {
      m.initialCluster = cluster;
      m.spawn();
    }
    for (EtcdProcess m : members) {
      m.awaitPort();
    }
    return members;
  }

  public String name() {
    return name;
  }

  public String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
  }

  /**
   * Joins the cluster {@code member} belongs to as a new member with an empty data dir, as a
   * wiped K3s server does when it starts: member add (retried while the cluster is not ready),
   * then start with the cluster's member list.
   */
  public EtcdProcess rejoin(EtcdProcess member) {
    // one at a time, as etcd wants members added: two peers adding themselves at once each get
    // a member list without the other, and the second to start is refused ("error validating
    // peerURLs")
    synchronized (REJOINS) {
      return rejoinAlone(member);
    }
  }

  private static final Object REJOINS = new Object();

  private EtcdProcess rejoinAlone(EtcdProcess member) {
    List<String> add = List.of("etcdctl", "--endpoints", member.endpoint(), "member", "add",
        name, "--peer-urls=" + peerUrl());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Processes.Result r;
    while (true) {
      r = Processes.run(add, Map.of("ETCDCTL_API", "3"), null);
      if (r.exitCode() == 0 || System.nanoTime() > deadline) {
        break;
      }
      sleep(500);
    }
    r.requireSuccess(add);
    for (String line : r.output().split("\n")) {
      if (line.startsWith("ETCD_INITIAL_CLUSTER=")) {
        initialCluster = line.substring(line.indexOf('=') + 1).replace("\"", "");
      }
    }
    clusterState = "existing";
    launch();
    awaitServing();
    return this;
  }

  /**
   * Until this member answers a client request, as K3s's start waits for (its etcd-ready test
   * before systemd's READY=1): etcd serves clients only once it has published itself to the
   * cluster, so a joined member is then "started" in the member list, not just listening.
   */
  private void awaitServing() {
    List<String> status = new ArrayList<>(List.of("etcdctl", "--endpoints", endpoint(),
        "--command-timeout=2s", "endpoint", "status"));
    if (tls != null) {
      status.addAll(List.of("--cacert", tls.ca().toString(), "--cert",
          tls.clientCert().toString(), "--key", tls.clientKey().toString()));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Processes.Result r = Processes.run(status, Map.of("ETCDCTL_API", "3"), null);
      if (r.exitCode() == 0) {
        return;
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the joined etcd " + name + " does not serve: "
            + r.output() + "\n" + Processes.read(log));
      }
      sleep(200);
    }
  }

  private EtcdProcess launch() {
    spawn();
    awaitPort();
    return this;
  }

  private void spawn() {
    String scheme = tls == null ? "http" : "https";
    String clientUrl = scheme + "://127.0.0.1:" + clientPort;
    String peerUrl = "http://127.0.0.1:" + peerPort;
    List<String> cmd = new ArrayList<>(List.of("etcd", "--name", name,
        "--data-dir", dataDir.toString(), "--logger=zap", "--log-outputs=stderr",
        "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", initialCluster != null ? initialCluster : name + "=" + peerUrl,
        "--initial-cluster-state", clusterState, "--quota-backend-bytes", "8589934592"));
    if (tls != null) {
      cmd.addAll(List.of("--cert-file", tls.serverCert().toString(),
          "--key-file", tls.serverKey().toString(),
          "--trusted-ca-file", tls.ca().toString(), "--client-cert-auth"));
    }
    try {
      Files.createDirectories(dataDir.getParent());
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start etcd: install it with "
          + "`apt-get install -y etcd-server etcd-client`", e);
    }
  }

  private void awaitPort() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("etcd exited " + process.exitValue() + ":\n"
            + Processes.read(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        sleep(150); // the port opens just before etcd serves; give it a moment
        return;
      } catch (IOException e) {
        sleep(50);
      }
    }
    throw new IllegalStateException("etcd did not start within 20s:\n" + Processes.read(log));
  }

  /** Whether the process runs. */
  public boolean running() {
    return process != null && process.isAlive();
  }

  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
  }

  public int clientPort() {
    return clientPort;
  }

  /** A jetcd client for writing test data (plain http only). */
  public synchronized Client client() {
    if (tls != null) {
      throw new IllegalStateException("write test data through etcdctl for a TLS etcd");
    }
    if (client == null) {
      client = Client.builder().endpoints(endpoint()).maxInboundMessageSize(256 * 1024 * 1024).build();
    }
    return client;
  }

  public void put(String key, String value) {
    try {
      client().getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes with etcdctl over TLS, with the client pair. */
  public void putTls(String key, String value) {
    Processes.run(List.of("etcdctl", "--endpoints", endpoint(), "--cacert", tls.ca().toString(),
        "--cert", tls.clientCert().toString(), "--key", tls.clientKey().toString(), "put", key,
        value), Map.of("ETCDCTL_API", "3"), null).requireSuccess(List.of("etcdctl put"));
  }

  /** Every key and value in the store. */
  public Map<String, String> all() {
    try {
      List<KeyValue> kvs = client().getKVClient().get(bytes("\0"),
              GetOption.builder().withRange(bytes("\0")).build())
          .get(10, TimeUnit.SECONDS).getKvs();
      Map<String, String> m = new TreeMap<>();
      for (KeyValue kv : kvs) {
        m.put(kv.getKey().toString(StandardCharsets.UTF_8),
            kv.getValue().toString(StandardCharsets.UTF_8));
      }
      return m;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public long revision() {
    try {
      return client().getKVClient().get(bytes("x")).get(10, TimeUnit.SECONDS).getHeader()
          .getRevision();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts the server again on its data dir, same name and ports (after {@link #stop()}). */
  public EtcdProcess restart() {
    return launch();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The {@code etcdctl snapshot restore} flags that recreate this member's identity. */
  public List<String> restoreFlags(Path into) {
    String peer = "http://127.0.0.1:" + peerPort;
    return List.of("--data-dir", into.toString(), "--name", name, "--initial-cluster",
        name + "=" + peer, "--initial-advertise-peer-urls", peer);
  }

  /** Kills the server at once, as a crash would. */
  public void kill() {
    if (process != null) {
      process.destroyForcibly();
    }
  }

  /** Writes about {@code mib} MiB of incompressible values. */
  public void fill(int mib) {
    byte[] value = new byte[256 * 1024];
    java.util.Random random = new java.util.Random(7);
    try {
      for (int i = 0; i < mib * 4; i++) {
        random.nextBytes(value);
        client().getKVClient().put(bytes("/fill/" + i), ByteSequence.from(value))
            .get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops the server (its data dir stays). */
  public void stop() {
    if (client != null) {
      client.close();
      client = null;
    }
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
