package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.api.Annotations;
import dev.k3sbackup.api.Labels;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.base.K3sLayout;
import dev.k3sbackup.contract.SnapshotRecord;
import dev.k3sbackup.reconciler.EtcdSnapshotReconciler;
import dev.k3sbackup.status.Conditions;
import dev.k3sbackup.status.SnapshotStatuses;
import dev.k3sbackup.testing.PrometheusText;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.realcluster.RealCluster;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator holding 5,000 snapshots on a real API server: {@value #SCHEDULED_PER_SCHEDULE}
 * scheduled snapshots for each of three schedules and {@value #ADOPTED} adopted ones, across three
 * server nodes (the second and third are Node objects without a kubelet: no Pod runs there), all
 * created through the API with the statuses the operator writes, before the operator is installed
 * as shipped. It proves, at that scale: the operator starts, resyncs every resource and writes to
 * none of them; at rest it sends the API server no storm of requests; {@code kubectl get esnap}
 * and the plugin's {@code ls} list them all.
 *
 * <p>It prints what it measures, one {@code scale:} line each (start-up and full resync, the
 * operator's peak RSS, API requests per minute at rest by resource and verb, the listing times):
 * {@code operator/bench/scale-bench.sh} reruns it and collects them. Speed is the benchmark's to
 * judge; this test only fails on wrong results or a storm.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScaleRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static final int SCHEDULED_PER_SCHEDULE = 1500;
  static final int ADOPTED = 500;
  static final int TOTAL = 3 * SCHEDULED_PER_SCHEDULE + ADOPTED;
  static final List<String> NODES = List.of(RealCluster.NODE, "k3s-server-2", "k3s-server-3");
  static final List<String> SCHEDULES = List.of("every-hour", "every-day", "every-week");
  /** A storm is many requests a minute on resources that changed nothing; at rest we allow few. */
  static final int AT_REST_PER_MINUTE_LIMIT = 120;

  static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  static Instant installedAt;
  static Map<String, Double> writesBeforeInstall;

  @BeforeAll
  static void fiveThousandSnapshotsBeforeTheOperator() throws Exception {
    cluster.kubectlOk("apply", "-k", "config/crd");
    cluster.kubectlOk("wait", "--for=condition=Established", "--timeout=60s",
        "crd/etcdsnapshots.k3sbackup.dev", "crd/etcdsnapshotschedules.k3sbackup.dev",
        "crd/etcdrestores.k3sbackup.dev");
    cluster.kubectlOk("create", "namespace", NS);
    for (String node : NODES.subList(1, NODES.size())) {
      // registered without a kubelet and without a Ready condition: nothing is scheduled there
      cluster.client().nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
          .withLabels(RealCluster.k3sServerLabels(node)).endMetadata().build()).create();
    }
    List<EtcdSnapshotSchedule> schedules = new ArrayList<>();
    for (String name : SCHEDULES) {
      EtcdSnapshotSchedule s = new EtcdSnapshotSchedule();
      s.getMetadata().setName(name);
      s.getMetadata().setNamespace(NS);
      s.setSpec(new EtcdSnapshotScheduleSpec());
      s.getSpec().schedule = "0 0 1 1 *"; // New Year only: no run falls inside the test
      s.getSpec().retention = 1000; // the bound; counted per node, each node holds 500 of each
      schedules.add(cluster.client().resource(s).create());
    }
    long started = System.nanoTime();
    Instant now = Instant.now();
    List<EtcdSnapshot> all = new ArrayList<>();
    for (int i = 0; i < SCHEDULED_PER_SCHEDULE; i++) {
      for (int k = 0; k < schedules.size(); k++) {
        all.add(scheduled(schedules.get(k), k, i, now));
      }
    }
    for (int i = 0; i < ADOPTED; i++) {
      all.add(adopted(i, now));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (EtcdSnapshot s : all) {
        done.add(pool.submit(() -> {
          EtcdSnapshotStatus status = s.getStatus();
          EtcdSnapshot created = cluster.client().resource(s).create();
          created.setStatus(status);
          cluster.client().resource(created).updateStatus();
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    figure("create " + TOTAL + " EtcdSnapshots with status through the API",
        String.format("%.1f s", (System.nanoTime() - started) / 1e9));
    writesBeforeInstall = snapshotWrites();
  }

  @AfterAll
  static void noNeedToClean() {
    // the cluster goes with the class
  }

  /** A schedule's run {@code i} hours back, as the schedule and the snapshot reconciler write it. */
  static EtcdSnapshot scheduled(EtcdSnapshotSchedule schedule, int k, int i, Instant now) {
    String node = NODES.get(i % NODES.size());
    long minute = now.getEpochSecond() / 3600 * 60 - (long) i * 60 - 20L * k;
    Instant due = Instant.ofEpochSecond(minute * 60);
    EtcdSnapshot s = new EtcdSnapshot();
    String name = schedule.getMetadata().getName() + "-" + minute;
    s.getMetadata().setName(name);
    s.getMetadata().setNamespace(NS);
    s.getMetadata().setLabels(Map.of(Labels.SCHEDULE, schedule.getMetadata().getName(),
        Labels.SCHEDULED_MINUTE, Long.toString(minute)));
    s.getMetadata().setAnnotations(Map.of(Annotations.SCHEDULED_TIME, due.toString()));
    s.getMetadata().setFinalizers(List.of(EtcdSnapshotReconciler.FINALIZER));
    s.addOwnerReference(schedule);
    s.setSpec(new EtcdSnapshotSpec());
    s.getSpec().node = node;
    s.getSpec().namePrefix = "etcd-snapshot";
    Instant taken = due.plusSeconds(2);
    SnapshotRecord record = record("etcd-snapshot-" + node + "-" + taken.getEpochSecond(), node,
        taken, minute);
    EtcdSnapshotStatus status = new EtcdSnapshotStatus();
    SnapshotStatuses.fill(status, record, record.localPath());
    status.phase = SnapshotPhase.Succeeded;
    status.attempts = 1;
    status.jobName = name + "-save-1";
    status.startTime = due.toString();
    status.completionTime = taken.plusSeconds(6).toString();
    status.observedGeneration = 1L;
    status.message = "saved " + status.snapshotName + " on node " + node + " (" + status.size
        + " bytes, sha256 " + status.sha256 + ")";
    Conditions.set(status.conditions, Conditions.READY, true, "Saved", status.message, 1L,
        taken.plusSeconds(6));
    s.setStatus(status);
    return s;
  }

  /** A file K3s made itself on the second or third node, adopted as the adopter writes it. */
  static EtcdSnapshot adopted(int i, Instant now) {
    String node = NODES.get(1 + i % 2);
    Instant taken = Instant.ofEpochSecond(now.getEpochSecond() / 60 * 60 - 43_200L * (i + 1) + 7);
    String file = "etcd-snapshot-" + node + "-" + taken.getEpochSecond();
    EtcdSnapshot s = new EtcdSnapshot();
    s.getMetadata().setName(file);
    s.getMetadata().setNamespace(NS);
    s.getMetadata().setLabels(Map.of(Labels.ADOPTED, "true"));
    s.getMetadata().setFinalizers(List.of(EtcdSnapshotReconciler.FINALIZER));
    s.setSpec(new EtcdSnapshotSpec());
    s.getSpec().node = node;
    SnapshotRecord record = record(file, node, taken, i);
    EtcdSnapshotStatus status = new EtcdSnapshotStatus();
    status.phase = SnapshotPhase.Succeeded;
    status.adopted = true;
    SnapshotStatuses.fill(status, record, record.localPath());
    status.completionTime = taken.toString();
    status.message = "adopted: found in " + K3sLayout.defaults().snapshotDir() + " on node "
        + node + " without a resource (made by K3s itself or before this operator ran); "
        + "deleting this resource deletes the file";
    Conditions.set(status.conditions, Conditions.READY, true, "Adopted", status.message, 1L,
        now);
    s.setStatus(status);
    return s;
  }

  static SnapshotRecord record(String file, String node, Instant taken, long seed) {
    byte[] sha = new byte[32];
    new java.util.Random(seed * 31 + file.hashCode()).nextBytes(sha);
    long size = 48L * 1024 * 1024 + seed * 512 + 32;
    return new SnapshotRecord(file, node,
        K3sLayout.defaults().snapshotDir().resolve(file).toString(), null, size,
        HexFormat.of().formatHex(sha), size, 100_000L + seed, "8e9e05c52164694d",
        "cdf818194e3a8c32", "3.6.16", taken, false, null, null);
  }

  @Test
  @Order(1)
  void theOperatorStartsAndResyncsEverySnapshotWithoutWritingToThem() throws Exception {
    installedAt = Instant.now();
    long started = System.nanoTime();
    cluster.installOperator();
    double rolledOut = (System.nanoTime() - started) / 1e9;
    String leader = awaitLeader();
    RealCluster.await("the leader's first reconcile of every EtcdSnapshot",
        Duration.ofSeconds(300), () -> reconciled(leader, "EtcdSnapshot") >= TOTAL);
    double resynced = (System.nanoTime() - started) / 1e9;
    Instant processStart = Instant.parse(pod(leader).getStatus().getContainerStatuses().get(0)
        .getState().getRunning().getStartedAt());
    figure("kubectl apply to rolled out (both replicas ready)", String.format("%.1f s",
        rolledOut));
    figure("kubectl apply to every EtcdSnapshot reconciled by the leader",
        String.format("%.1f s", resynced));
    figure("leader's process start to every EtcdSnapshot reconciled", String.format("%.1f s",
        Duration.between(processStart, Instant.now()).toMillis() / 1e3));
    assertThat(reconciled(leader, "EtcdSnapshotSchedule")).isGreaterThanOrEqualTo(3);

    Thread.sleep(5_000); // let the first pass settle
    Map<String, Double> writes = snapshotWrites();
    figure("writes to EtcdSnapshots by the operator's start-up and resync",
        String.valueOf(delta(writesBeforeInstall, writes)));
    assertThat(delta(writesBeforeInstall, writes)).as("the operator wrote to settled snapshots: "
        + writes).isZero();
    assertThat(cluster.client().resources(EtcdSnapshot.class).inNamespace(NS).list().getItems())
        .hasSize(TOTAL)
        .allSatisfy(s -> assertThat(s.getStatus().phase).isEqualTo(SnapshotPhase.Succeeded));
  }

  @Test
  @Order(2)
  void atRestTheApiServerSeesNoStorm() throws Exception {
    PrometheusText before = apiMetrics();
    Thread.sleep(60_000);
    PrometheusText after = apiMetrics();
    Map<String, Double> perMinute = new TreeMap<>();
    for (var s : after.samples()) {
      if (!s.name().equals("apiserver_request_total")) {
        continue;
      }
      String key = s.labels().getOrDefault("resource", "") + " "
          + s.labels().getOrDefault("verb", "");
      double was = before.value(s.name(), s.labels()).orElse(0.0);
      if (s.value() - was > 0) {
        perMinute.merge(key, s.value() - was, Double::sum);
      }
    }
    double ours = 0;
    for (var e : perMinute.entrySet()) {
      String resource = e.getKey().split(" ")[0];
      if (List.of("etcdsnapshots", "etcdsnapshotschedules", "etcdrestores", "jobs", "pods",
          "events", "secrets", "nodes").contains(resource)) {
        ours += e.getValue();
      }
    }
    figure("API requests in one minute at rest, by resource and verb (all clients)",
        perMinute.toString());
    figure("of which on the operator's resources (snapshots, schedules, restores, Jobs, Pods, "
        + "Events, Secrets, Nodes)", String.format("%.0f", ours));
    String leader = awaitLeader();
    figure("leader's reconciles of EtcdSnapshots so far",
        String.format("%.0f", reconciled(leader, "EtcdSnapshot")));
    assertThat(ours).as("requests a minute at rest: " + perMinute)
        .isLessThan(AT_REST_PER_MINUTE_LIMIT);
  }

  @Test
  @Order(3)
  void theOperatorsMemoryStaysBounded() throws Exception {
    Map<String, Long> peaks = new LinkedHashMap<>();
    for (Pod p : operatorPods()) {
      peaks.put(p.getMetadata().getName(), peakRssKib(p.getMetadata().getName()));
    }
    String leader = awaitLeader();
    figure("operator peak RSS (VmHWM), leader / standby", peaks.entrySet().stream()
        .map(e -> e.getValue() / 1024 + " MiB" + (e.getKey().equals(leader) ? " (leader)" : ""))
        .toList().toString());
    assertThat(peaks.values()).allSatisfy(kib -> assertThat(kib).isPositive());
    assertThat(operatorPods()).as("operator containers restarted (killed at their memory "
        + "limit?)").allSatisfy(p -> assertThat(p.getStatus().getContainerStatuses().get(0)
            .getRestartCount()).isZero());
  }

  @Test
  @Order(4)
  void kubectlAndThePluginListThemAll() throws Exception {
    Path bin = Files.createDirectories(cluster.work().resolve("bin"));
    Files.copy(Path.of("target/kubectl-etcdsnapshot").toAbsolutePath(),
        bin.resolve("kubectl-etcdsnapshot"));
    Files.copy(cluster.binaries().get("kubectl"), bin.resolve("kubectl"));
    bin.resolve("kubectl-etcdsnapshot").toFile().setExecutable(true);
    Map<String, String> env = Map.of("HOME", cluster.work().toString(),
        "KUBECONFIG", cluster.kubeconfig().toString(),
        "PATH", bin + ":" + System.getenv("PATH"));

    List<Double> get = new ArrayList<>();
    List<Double> ls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long t = System.nanoTime();
      Processes.Result r = Processes.run(List.of(bin.resolve("kubectl").toString(), "get",
          "esnap", "-n", NS), env, cluster.work());
      get.add((System.nanoTime() - t) / 1e9);
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output().lines().filter(l -> !l.startsWith("NAME"))).hasSize(TOTAL);

      t = System.nanoTime();
      r = Processes.run(List.of(bin.resolve("kubectl").toString(), "etcdsnapshot", "ls",
          "-n", NS), env, cluster.work());
      ls.add((System.nanoTime() - t) / 1e9);
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output().lines().filter(l -> l.startsWith("etcd-snapshot-"))).hasSize(TOTAL);
    }
    figure("kubectl get esnap -n " + NS + " (" + TOTAL + " rows), 3 runs", seconds(get));
    figure("kubectl etcdsnapshot ls -n " + NS + " (" + TOTAL + " rows), 3 runs", seconds(ls));
    long hold = Long.getLong("scale.holdSeconds", 0);
    if (hold > 0) { // a developer's look at the cluster at scale: KUBECONFIG below
      figure("holding the cluster for " + hold + " s, KUBECONFIG", cluster.kubeconfig()
          .toString());
      Thread.sleep(hold * 1000);
    }
  }

  private static String seconds(List<Double> runs) {
    return runs.stream().map(d -> String.format("%.2f s", d)).toList().toString();
  }

  static void figure(String what, String value) {
    System.out.println("scale: " + what + ": " + value);
  }

  /** PATCH, PUT, POST and DELETE requests on EtcdSnapshots and their status, as counted so far. */
  static Map<String, Double> snapshotWrites() throws Exception {
    Map<String, Double> writes = new TreeMap<>();
    for (var s : apiMetrics().samples()) {
      if (s.name().equals("apiserver_request_total")
          && "etcdsnapshots".equals(s.labels().get("resource"))
          && List.of("PATCH", "PUT", "POST", "DELETE", "APPLY")
              .contains(s.labels().get("verb"))) {
        writes.merge(s.labels().get("verb") + " " + s.labels().getOrDefault("subresource", ""),
            s.value(), Double::sum);
      }
    }
    return writes;
  }

  static long delta(Map<String, Double> before, Map<String, Double> after) {
    double d = 0;
    for (var e : after.entrySet()) {
      d += e.getValue() - before.getOrDefault(e.getKey(), 0.0);
    }
    return Math.round(d);
  }

  static PrometheusText apiMetrics() {
    return PrometheusText.parse(cluster.kubectlOk("get", "--raw", "/metrics"));
  }

  static List<Pod> operatorPods() {
    return cluster.client().pods().inNamespace(NS)
        .withLabel("app.kubernetes.io/name", "k3s-etcd-backup").list().getItems();
  }

  static Pod pod(String name) {
    return cluster.client().pods().inNamespace(NS).withName(name).get();
  }

  static String awaitLeader() {
    String[] holder = new String[1];
    RealCluster.await("a leader in the operator's Lease", Duration.ofSeconds(120), () -> {
      var lease = cluster.client().leases().inNamespace(NS).withName("k3s-etcd-backup-leader")
          .get();
      holder[0] = lease == null ? null : lease.getSpec().getHolderIdentity();
      return holder[0] != null && pod(holder[0]) != null;
    });
    return holder[0];
  }

  /** JOSDK's count of reconciles of {@code kind} on the Pod's metrics endpoint. */
  static double reconciled(String podName, String kind) {
    try {
      String ip = pod(podName).getStatus().getPodIP();
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + ip
          + ":8080/metrics")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return PrometheusText.parse(r.body()).sum("operator_sdk_reconciliations_started_total",
          Map.of("kind", kind));
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * The peak resident memory of the Pod's Java process, read from {@code /proc} (the fake kubelet
   * runs containers as processes of this machine): {@code VmHWM} of the {@code java} process
   * whose environment names the Pod.
   */
  static long peakRssKib(String podName) throws Exception {
    long peak = -1;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
          if (!cmd.contains("k3s-etcd-backup.jar") || !cmd.contains(" operator")) {
            continue;
          }
          String env = new String(Files.readAllBytes(p.resolve("environ")));
          if (!env.contains("POD_NAME=" + podName + "\0")) {
            continue;
          }
          for (String line : Files.readAllLines(p.resolve("status"))) {
            if (line.startsWith("VmHWM:")) { // the largest: the wrappers around java are small
              peak = Math.max(peak, Long.parseLong(line.replaceAll("\\D", "")));
            }
          }
        } catch (java.io.IOException e) {
          // gone, or not ours
        }
      }
    }
    if (peak < 0) {
      throw new AssertionError("no java process of Pod " + podName + " in /proc");
    }
    return peak;
  }
}
