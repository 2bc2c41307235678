package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.base.KubeNames;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Names that always fit, judged by a real API server and Job controller: the server node has a
 * 60-character name with dots (as cloud hosts have), and an IPv6 address as its first
 * InternalIP. A 63-character EtcdSnapshot succeeds (its Job name and Pod labels are valid);
 * schedules of 50 and 54 characters, whose runs' Job names used to collide, take every run
 * with a Job of its own; the node scan's Jobs run there and adopt a K3s-made file under a name
 * that fits; a restore's plan addresses the IPv6 node's agent in brackets.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NamesRealClusterIT {

  /** 60 characters, with dots. */
  static final String NODE = pad("k3s-server-1.rack-7.eu-central-1.compute.internal-", 60);
  static final String IPV6 = "fd00:10:213::2";

  @RegisterExtension
  static final RealCluster cluster = new RealCluster(NODE, List.of(IPV6));

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static final String LONG_SNAPSHOT = "s".repeat(63);

  private static String pad(String s, int length) {
    return s + "x".repeat(length - s.length());
  }

  @BeforeAll
  static void install() {
    assertThat(NODE).hasSize(60);
    cluster.installOperator();
    // scan the nodes every 15 s instead of 5 min
    cluster.kubectlOk("-n", NS, "set", "env", "deployment/k3s-etcd-backup",
        "RECHECK_INTERVAL=15s");
    cluster.kubectlOk("-n", NS, "rollout", "status", "deployment/k3s-etcd-backup",
        "--timeout=180s");
  }

  @Test
  @Order(1)
  void aSnapshotOf63CharactersOnANodeOf60Succeeds() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: %s, namespace: %s}
        spec: {}
        """.formatted(LONG_SNAPSHOT, NS));

    JsonNode status = awaitPhase("etcdsnapshot/" + LONG_SNAPSHOT, "Succeeded");

    assertThat(status.path("node").asText()).isEqualTo(NODE);
    assertThat(status.path("snapshotName").asText()).startsWith("k3sbackup-on-demand-" + NODE
        + "-");
    String job = status.path("jobName").asText();
    assertThat(KubeNames.isLabel(job)).as(job).isTrue();
    assertThat(job).endsWith("-save-1");
    JsonNode pods = json(cluster.kubectlOk("-n", NS, "get", "pods", "-l", "job-name=" + job,
        "-o", "json"));
    assertThat(pods.path("items")).isNotEmpty();
    assertThat(pods.path("items").get(0).path("metadata").path("labels")
        .path("k3sbackup.dev/snapshot").asText()).isEqualTo(LONG_SNAPSHOT);
  }

  @Test
  @Order(2)
  void schedulesOf50And54CharactersTakeEachRunWithAJobOfItsOwn() throws Exception {
    List<String> schedules = List.of("a".repeat(50), "b".repeat(54));
    for (String name : schedules) {
      apply("""
          apiVersion: k3sbackup.dev/v1alpha1
          kind: EtcdSnapshotSchedule
          metadata: {name: %s, namespace: %s}
          spec: {schedule: "* * * * *", retention: 5}
          """.formatted(name, NS));
    }

    Set<String> jobs = new HashSet<>();
    Set<String> children = new HashSet<>();
    RealCluster.await("two successful runs of each schedule", Duration.ofSeconds(300), () -> {
      jobs.clear();
      children.clear();
      for (String name : schedules) {
        JsonNode list = jsonOrNull(cluster.kubectl("-n", NS, "get", "etcdsnapshots", "-l",
            "k3sbackup.dev/schedule=" + name, "-o", "json").output());
        if (list == null) {
          return false;
        }
        int done = 0;
        for (JsonNode s : list.path("items")) {
          if ("Succeeded".equals(s.path("status").path("phase").asText())) {
            done++;
            children.add(s.path("metadata").path("name").asText());
            jobs.add(s.path("status").path("jobName").asText());
          }
        }
        if (done < 2) {
          return false;
        }
      }
      return true;
    });
    assertThat(children).hasSizeGreaterThanOrEqualTo(4).allMatch(n -> n.length() <= 63);
    assertThat(jobs).as("one Job per run").hasSameSizeAs(children)
        .allMatch(KubeNames::isLabel);
    for (String name : schedules) {
      JsonNode conditions = cluster.getJson(NS, "etcdsnapshotschedule/" + name)
          .path("status").path("conditions");
      assertThat(find(conditions, "Warning").path("reason").asText())
          .isEqualTo("FrequentSchedule");
      assertThat(find(conditions, "K3sSnapshots").path("reason").asText())
          .as("the node's k3s.io/node-args say K3s runs with its default schedule")
          .isEqualTo("K3sScheduleOn");
      cluster.kubectlOk("-n", NS, "patch", "etcdsnapshotschedule", name, "--type=merge",
          "-p", "{\"spec\":{\"suspend\":true}}");
    }
  }

  @Test
  @Order(3)
  void theNodeScanRunsOnTheLongNamedNodeAndAdoptsUnderANameThatFits() throws Exception {
    JsonNode ours = cluster.getJson(NS, "etcdsnapshot/" + LONG_SNAPSHOT).path("status");
    Path dir = cluster.server().root().resolve("var/lib/rancher/k3s/server/db/snapshots");
    String k3sFile = "etcd-snapshot-" + NODE + "-1700000000";
    Files.copy(dir.resolve(ours.path("snapshotName").asText()), dir.resolve(k3sFile));
    String adopted = KubeNames.of(NODE + "-" + k3sFile);
    assertThat(adopted.length()).isLessThanOrEqualTo(63);

    JsonNode status = awaitPhase("etcdsnapshot/" + adopted, "Succeeded");

    assertThat(status.path("adopted").asBoolean()).isTrue();
    assertThat(status.path("snapshotName").asText()).isEqualTo(k3sFile);
    assertThat(status.path("node").asText()).isEqualTo(NODE);
  }

  @Test
  @Order(4)
  void aRestorePlanAddressesTheIpv6NodesAgentInBrackets() throws Exception {
    apply("""
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdRestore
        metadata: {name: plan-only, namespace: %s}
        spec: {snapshot: %s, dryRun: true}
        """.formatted(NS, LONG_SNAPSHOT));

    JsonNode status = awaitPhase("etcdrestore/plan-only", "PlanReady");

    assertThat(status.path("plan").path("agents").path(NODE).asText())
        .isEqualTo("http://[" + IPV6 + "]:9791/");
    assertThat(status.path("plan").path("server").asText()).isEqualTo(NODE);
  }

  private static JsonNode find(JsonNode conditions, String type) {
    for (JsonNode c : conditions) {
      if (type.equals(c.path("type").asText())) {
        return c;
      }
    }
    return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
  }

  private static void apply(String manifest) throws Exception {
    var r = cluster.kubectlWithManifest(manifest, "apply");
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  private static JsonNode awaitPhase(String kindAndName, String phase) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    try {
      RealCluster.await(kindAndName + " " + phase, Duration.ofSeconds(180), () -> {
        JsonNode s = cluster.getJson(NS, kindAndName);
        last.set(s);
        String now = s == null ? "" : s.path("status").path("phase").asText();
        if (now.equals("Failed") && !phase.equals("Failed")) {
          throw new AssertionError(kindAndName + " Failed: " + s.path("status"));
        }
        return phase.equals(now);
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast: " + (last.get() == null ? null
          : last.get().path("status")) + "\n" + cluster.kubelet().allLogs(), e);
    }
    return last.get().path("status");
  }

  private static JsonNode json(String text) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
  }

  private static JsonNode jsonOrNull(String text) {
    try {
      return json(text);
    } catch (Exception e) {
      return null;
    }
  }
}
