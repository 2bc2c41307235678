package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.Tamper;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restore drills and retention policies through the operator as installed, on a real API
 * server: the plugin's {@code drill} asks for a drill of a saved snapshot, whose Job restores it
 * with the image's etcdutl v3.6 into a throwaway etcd and reads back what the cluster held;
 * re-applying the same annotation value runs nothing again; a snapshot whose bytes changed on the
 * node fails its drill saying so. A schedule's status names the rule that keeps each snapshot,
 * and the plugin's {@code prune --schedule --dry-run} prints the same.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DrillRetentionRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static Path bin;

  @BeforeAll
  static void install() throws Exception {
    cluster.installOperator();
    bin = Files.createDirectories(cluster.work().resolve("bin"));
    Files.copy(Path.of("target/kubectl-etcdsnapshot").toAbsolutePath(),
        bin.resolve("kubectl-etcdsnapshot"));
    Files.copy(cluster.binaries().get("kubectl"), bin.resolve("kubectl"));
    bin.resolve("kubectl-etcdsnapshot").toFile().setExecutable(true);
  }

  private static Processes.Result plugin(String... args) {
    List<String> command = new ArrayList<>(List.of(bin.resolve("kubectl").toString(),
        "etcdsnapshot"));
    command.addAll(List.of(args));
    return Processes.run(command, Map.of("HOME", cluster.work().toString(),
        "KUBECONFIG", cluster.kubeconfig().toString(),
        "PATH", bin + ":" + System.getenv("PATH")), cluster.work());
  }

  @Test
  @Order(1)
  void aSnapshotDrilledOnDemandGetsItsStatusFilledAndIsNotDrilledTwiceForOneRequest()
      throws Exception {
    cluster.kubectlOk("create", "namespace", "drilled");
    for (int i = 0; i < 3; i++) {
      cluster.kubectlOk("-n", "drilled", "create", "configmap", "cm-" + i,
          "--from-literal=k=v");
    }
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: to-drill, namespace: %s}
        spec: {}
        """.formatted(NS));
    JsonNode saved = await("to-drill", "status.phase Succeeded",
        s -> "Succeeded".equals(s.path("phase").asText()));

    Processes.Result drill = plugin("drill", "to-drill", "-n", NS, "--timeout", "3m");

    assertThat(drill.exitCode()).as(drill.output() + cluster.kubelet().allLogs()).isZero();
    assertThat(drill.output()).contains("Drill passed: EtcdSnapshot to-drill restored into a "
        + "throwaway etcd on " + RealCluster.NODE);
    JsonNode status = cluster.getJson(NS, "etcdsnapshot/to-drill").path("status");
    JsonNode d = status.path("drill");
    assertThat(d.path("phase").asText()).isEqualTo("Passed");
    assertThat(d.path("node").asText()).isEqualTo(RealCluster.NODE);
    assertThat(d.path("source").asText()).isEqualTo("file://" + saved.path("localPath")
        .asText());
    // the revision the throwaway etcd served is the file's, as etcd's own etcdutl reads it
    Path file = cluster.server().root().resolve(saved.path("localPath").asText().substring(1));
    Processes.Result judged = Processes.run(List.of(cluster.binaries().get("etcdutl")
        .toString(), "snapshot", "status", file.toString(), "-w", "json"), Map.of(), null);
    assertThat(judged.exitCode()).as(judged.output()).isZero();
    java.util.regex.Matcher rev = java.util.regex.Pattern.compile("\"revision\":(\\d+)")
        .matcher(judged.output());
    assertThat(rev.find()).as(judged.output()).isTrue();
    assertThat(d.path("revision").asLong()).isEqualTo(Long.parseLong(rev.group(1)))
        .isGreaterThanOrEqualTo(saved.path("etcdRevision").asLong());
    assertThat(d.path("completionTime").asText()).isNotEmpty();
    Map<String, Long> counts = new HashMap<>();
    d.path("keyCounts").forEach(c -> counts.put(c.path("resource").asText(),
        c.path("count").asLong()));
    // the API server's own objects, our ConfigMaps among them: the ten most numerous types
    assertThat(counts.get("configmaps")).isGreaterThanOrEqualTo(3L);
    assertThat(counts).hasSize(10).containsKeys("clusterroles", "serviceaccounts");
    assertThat(d.path("resourceTypes").asInt()).isGreaterThan(10);
    assertThat(d.path("keys").asLong()).isGreaterThan(counts.values().stream()
        .mapToLong(Long::longValue).sum());
    Processes.Result described = plugin("describe", "to-drill", "-n", NS);
    assertThat(described.output()).containsPattern("Drill: +Passed at ")
        .containsPattern("Drill read back: +revision " + d.path("revision").asLong() + ", ");
    String request = cluster.kubectlOk("-n", NS, "get", "etcdsnapshot", "to-drill", "-o",
        "jsonpath={.metadata.annotations.k3sbackup\\.dev/drill}").strip();
    assertThat(d.path("request").asText()).isEqualTo(request);
    // GitOps re-applies the same value: no second drill
    cluster.kubectlOk("-n", NS, "annotate", "--overwrite", "etcdsnapshot", "to-drill",
        "k3sbackup.dev/drill=" + request);
    cluster.kubectlOk("-n", NS, "label", "--overwrite", "etcdsnapshot", "to-drill",
        "touched=yes");
    Thread.sleep(5_000);
    assertThat(drillJobs()).hasSize(1);
    assertThat(cluster.getJson(NS, "etcdsnapshot/to-drill").path("status").path("drill")
        .path("completionTime").asText()).isEqualTo(d.path("completionTime").asText());
  }

  @Test
  @Order(2)
  void aSnapshotWhoseBytesChangedOnTheNodeFailsItsDrillSayingSo() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: to-alter, namespace: %s}
        spec: {}
        """.formatted(NS));
    JsonNode saved = await("to-alter", "status.phase Succeeded",
        s -> "Succeeded".equals(s.path("phase").asText()));
    Path file = cluster.server().root().resolve(saved.path("localPath").asText().substring(1));
    Tamper.flipOneByte(file);

    cluster.kubectlOk("-n", NS, "annotate", "etcdsnapshot", "to-alter",
        "k3sbackup.dev/drill=after-tampering");

    JsonNode status = await("to-alter", "status.drill Failed",
        s -> "Failed".equals(s.path("drill").path("phase").asText()));
    assertThat(status.path("drill").path("request").asText()).isEqualTo("after-tampering");
    assertThat(status.path("drill").path("message").asText())
        .contains("not proven restorable")
        .contains("but " + saved.path("sha256").asText() + " was recorded when it was taken")
        .contains("etcd was not started on it");
  }

  @Test
  @Order(3)
  void aScheduleShowsWhichRuleKeepsEachSnapshotAndPruneDryRunPrintsTheSame() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshotSchedule
        metadata: {name: gfs, namespace: %s}
        spec:
          schedule: "0 6 * * *"
          timeZone: UTC
          suspend: true
          retention: 1
          keepDaily: 3
        """.formatted(NS));
    Instant today = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofHours(6));
    List<Instant> taken = new ArrayList<>();
    for (int day = 0; day < 5; day++) {
      taken.add(today.minus(Duration.ofDays(day)));
    }
    taken.add(today.minus(Duration.ofHours(1))); // a second run on the newest day
    for (Instant t : taken) {
      premade("gfs", t);
    }
    String newest = "gfs-" + today.getEpochSecond() / 60;

    JsonNode status = awaitSchedule("gfs", s -> s.path("retention").path("keptCount").asInt()
        == 3 && s.path("retention").path("kept").size() == 3);

    Map<String, String> why = new HashMap<>();
    status.path("retention").path("kept").forEach(k -> why.put(k.path("snapshot").asText(),
        k.path("local").asText()));
    String day = today.atZone(ZoneOffset.UTC).toLocalDate().toString();
    assertThat(why.get(newest)).isEqualTo("newest 1 of 1, daily " + day);
    assertThat(why.get("gfs-" + today.minus(Duration.ofDays(1)).getEpochSecond() / 60))
        .isEqualTo("daily " + today.minus(Duration.ofDays(1)).atZone(ZoneOffset.UTC)
            .toLocalDate());
    assertThat(why.get("gfs-" + today.minus(Duration.ofDays(2)).getEpochSecond() / 60))
        .isEqualTo("daily " + today.minus(Duration.ofDays(2)).atZone(ZoneOffset.UTC)
            .toLocalDate());
    assertThat(status.path("retention").path("policy").asText()).contains("3 daily");
    // the snapshots no rule keeps went
    RealCluster.await("the unkept snapshots deleted", Duration.ofSeconds(90), () ->
        cluster.client().resources(dev.k3sbackup.api.v1alpha1.EtcdSnapshot.class).inNamespace(NS)
            .withLabel("k3sbackup.dev/schedule", "gfs").list().getItems().size() == 3);

    Processes.Result dry = plugin("prune", "--schedule", "gfs", "--dry-run", "-n", NS);
    assertThat(dry.exitCode()).as(dry.output()).isZero();
    assertThat(dry.output()).contains("Schedule gfs: ")
        .contains("Keep       " + newest + " (taken " + today + "): local: newest 1 of 1, "
            + "daily " + day);
  }

  @Test
  @Order(4)
  void aScheduleDrillingEverySnapshotShowsTheNewestProvenRestorable() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshotSchedule
        metadata: {name: drilled, namespace: %s}
        spec:
          schedule: "* * * * *"
          retention: 2
          drill: {every: 1, alertAfter: 1h}
        """.formatted(NS));

    JsonNode status = awaitSchedule("drilled", s -> !s.path("lastRestorableTime").asText()
        .isEmpty(), Duration.ofMinutes(4));

    JsonNode proven = status.path("lastRestorable");
    assertThat(proven.path("phase").asText()).isEqualTo("Passed");
    assertThat(proven.path("revision").asLong()).isPositive();
    assertThat(proven.path("keys").asLong()).isPositive();
    JsonNode child = cluster.getJson(NS, "etcdsnapshot/" + proven.path("snapshot").asText());
    assertThat(child.path("metadata").path("annotations").path("k3sbackup.dev/drill").asText())
        .isEqualTo("schedule");
    assertThat(child.path("status").path("drill").path("completionTime").asText())
        .isEqualTo(status.path("lastRestorableTime").asText());
    assertThat(status.path("lastDrill").path("snapshot").asText()).isNotEmpty();
    cluster.kubectlOk("-n", NS, "patch", "etcdsnapshotschedule", "drilled", "--type=merge",
        "-p", "{\"spec\": {\"suspend\": true}}");
  }

  /** A schedule's run made beforehand: its file on the node and its resource, as adopted. */
  private static void premade(String schedule, Instant t) throws Exception {
    String file = "k3sbackup-scheduled-" + RealCluster.NODE + "-" + t.getEpochSecond();
    String dir = "/var/lib/rancher/k3s/server/db/snapshots";
    Path onNode = cluster.server().root().resolve(dir.substring(1)).resolve(file);
    Files.createDirectories(onNode.getParent());
    Files.writeString(onNode, "not a real snapshot: retention only counts it");
    String name = schedule + "-" + t.getEpochSecond() / 60;
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata:
          name: %s
          namespace: %s
          labels:
            k3sbackup.dev/schedule: %s
            k3sbackup.dev/scheduled-minute: "%d"
            k3sbackup.dev/adopted: "true"
        spec: {node: %s}
        """.formatted(name, NS, schedule, t.getEpochSecond() / 60, RealCluster.NODE));
    cluster.kubectlOk("-n", NS, "patch", "etcdsnapshot", name, "--subresource=status",
        "--type=merge", "-p", """
        {"status": {"phase": "Succeeded", "adopted": true, "node": "%s", "snapshotName": "%s",
         "localPath": "%s/%s", "completionTime": "%s"}}
        """.formatted(RealCluster.NODE, file, dir, file, t));
  }

  private static List<String> drillJobs() {
    return cluster.client().batch().v1().jobs().inNamespace(NS)
        .withLabel("k3sbackup.dev/operation", "drill").list().getItems().stream()
        .map(j -> j.getMetadata().getName()).toList();
  }

  private static void apply(String manifest) throws Exception {
    var r = cluster.kubectlWithManifest(manifest, "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static JsonNode await(String name, String what,
      java.util.function.Predicate<JsonNode> ok) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    try {
      RealCluster.await("EtcdSnapshot " + name + " " + what, Duration.ofSeconds(180), () -> {
        JsonNode s = cluster.getJson(NS, "etcdsnapshot/" + name);
        JsonNode st = s == null ? null : s.path("status");
        last.set(st);
        if (st != null && "Failed".equals(st.path("phase").asText())) {
          throw new AssertionError("EtcdSnapshot " + name + " Failed: " + st);
        }
        return st != null && ok.test(st);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast status: " + last.get() + "\n"
          + cluster.kubelet().allLogs(), e);
    }
    return last.get();
  }

  private static JsonNode awaitSchedule(String name, java.util.function.Predicate<JsonNode> ok) {
    return awaitSchedule(name, ok, Duration.ofSeconds(120));
  }

  private static JsonNode awaitSchedule(String name, java.util.function.Predicate<JsonNode> ok,
      Duration timeout) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    try {
      RealCluster.await("EtcdSnapshotSchedule " + name, timeout, () -> {
        JsonNode s = cluster.getJson(NS, "etcdsnapshotschedule/" + name);
        last.set(s == null ? null : s.path("status"));
        return s != null && ok.test(s.path("status"));
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast status: " + last.get(), e);
    }
    return last.get();
  }
}
