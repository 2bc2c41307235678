package dev.k3sbackup.realcluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.snapshot.ServerTokenHash;
import dev.k3sbackup.testing.Processes;
import dev.k3sbackup.testing.realcluster.RealCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Least privilege, judged by a real API server's authorizer with config/default installed as
 * shipped: the operator's ServiceAccount is refused everything it does not need (each question
 * asked of the authorizer is listed in {@link #RBAC}); a user bound to the editor role in
 * another namespace cannot make the operator run a Job; whoever may view (the built-in
 * {@code view} role) cannot read K3s's token hash anywhere; and a restore still checks the
 * token, from the snapshot's sidecar on the node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LeastPrivilegeRealClusterIT {

  @RegisterExtension
  static final RealCluster cluster = new RealCluster();

  static final String NS = RealCluster.OPERATOR_NAMESPACE;
  static final String OPERATOR = "system:serviceaccount:" + NS + ":k3s-etcd-backup";
  static final String AGENT = "system:serviceaccount:" + NS + ":k3s-etcd-backup-agent";
  static final String TEAM = "team-a";

  /**
   * One question for the authorizer.
   *
   * @param subject who asks ({@code --as})
   * @param verb the verb
   * @param resource the resource (with {@code --subresource} after a space, if any)
   * @param namespace where ({@code *} for every namespace, {@code -} for cluster-scoped)
   * @param allowed what the answer must be
   */
  record Ask(String subject, String verb, String resource, String namespace, boolean allowed) {}

  static final List<Ask> RBAC = List.of(
      new Ask(OPERATOR, "get", "secrets", NS, true),
      new Ask(OPERATOR, "list", "secrets", NS, false),
      new Ask(OPERATOR, "watch", "secrets", NS, false),
      new Ask(OPERATOR, "create", "secrets", NS, true), // each restore's agent token Secret
      new Ask(OPERATOR, "update", "secrets", NS, false),
      new Ask(OPERATOR, "delete", "secrets", NS, false),
      new Ask(OPERATOR, "create", "secrets", "kube-system", false),
      new Ask(OPERATOR, "get", "secrets", "kube-system", false),
      new Ask(OPERATOR, "list", "secrets", "*", false),
      new Ask(OPERATOR, "get", "configmaps", NS, true),
      new Ask(OPERATOR, "list", "configmaps", NS, false),
      new Ask(OPERATOR, "watch", "configmaps", "*", false),
      new Ask(OPERATOR, "get", "configmaps", "kube-system", false),
      new Ask(OPERATOR, "create", "jobs.batch", NS, true),
      new Ask(OPERATOR, "create", "jobs.batch", TEAM, false),
      new Ask(OPERATOR, "create", "jobs.batch", "kube-system", false),
      new Ask(OPERATOR, "list", "jobs.batch", "*", false),
      new Ask(OPERATOR, "create", "pods", NS, false),
      new Ask(OPERATOR, "create", "pods exec", NS, false),
      new Ask(OPERATOR, "list", "pods", NS, true),
      new Ask(OPERATOR, "list", "pods", "*", false),
      new Ask(OPERATOR, "create", "daemonsets.apps", NS, false),
      new Ask(OPERATOR, "create", "deployments.apps", "kube-system", false),
      new Ask(OPERATOR, "list", "etcdsnapshots.k3sbackup.dev", NS, true),
      new Ask(OPERATOR, "list", "etcdsnapshots.k3sbackup.dev", "*", false),
      new Ask(OPERATOR, "create", "etcdrestores.k3sbackup.dev", TEAM, false),
      new Ask(OPERATOR, "list", "nodes", "-", true),
      new Ask(OPERATOR, "patch", "nodes", "-", false),
      new Ask(OPERATOR, "delete", "nodes", "-", false),
      new Ask(OPERATOR, "get", "serviceaccounts/k3s-etcd-backup-agent", NS, true),
      new Ask(OPERATOR, "get", "serviceaccounts/default", NS, false),
      new Ask(OPERATOR, "create", "serviceaccounts token", NS, false),
      new Ask(OPERATOR, "create", "clusterrolebindings.rbac.authorization.k8s.io", "-", false),
      new Ask(OPERATOR, "bind", "clusterroles.rbac.authorization.k8s.io", "-", false),
      new Ask(OPERATOR, "escalate", "roles.rbac.authorization.k8s.io", NS, false),
      new Ask(OPERATOR, "update", "leases.coordination.k8s.io", NS, true),
      new Ask(OPERATOR, "create", "leases.coordination.k8s.io", "kube-system", false),
      new Ask(OPERATOR, "create", "events", NS, true),
      new Ask(OPERATOR, "delete", "customresourcedefinitions.apiextensions.k8s.io", "-", false),
      new Ask(AGENT, "patch", "etcdsnapshots.k3sbackup.dev status", NS, true),
      new Ask(AGENT, "update", "etcdsnapshots.k3sbackup.dev", NS, false),
      new Ask(AGENT, "list", "etcdsnapshots.k3sbackup.dev", NS, false),
      new Ask(AGENT, "get", "secrets", NS, false),
      new Ask(AGENT, "create", "jobs.batch", NS, false),
      new Ask("alice", "create", "etcdsnapshots.k3sbackup.dev", TEAM, true),
      new Ask("alice", "create", "etcdrestores.k3sbackup.dev", TEAM, true),
      new Ask("alice", "create", "etcdsnapshots.k3sbackup.dev", NS, false),
      new Ask("alice", "create", "etcdrestores.k3sbackup.dev", NS, false),
      new Ask("alice", "create", "jobs.batch", TEAM, false),
      new Ask("alice", "create", "jobs.batch", NS, false),
      new Ask("bob", "get", "etcdsnapshots.k3sbackup.dev", NS, true),
      new Ask("bob", "get", "pods", NS, true),
      new Ask("bob", "get", "secrets", NS, false));

  @BeforeAll
  static void install() throws Exception {
    cluster.installOperator();
    cluster.kubectlOk("create", "namespace", TEAM);
    // alice may edit our resources in her team's namespace; bob may view the operator's
    cluster.kubectlOk("-n", TEAM, "create", "rolebinding", "alice-backups",
        "--clusterrole=k3s-etcd-backup-editor", "--user=alice");
    cluster.kubectlOk("-n", NS, "create", "rolebinding", "bob-views",
        "--clusterrole=view", "--user=bob");
  }

  @Test
  @Order(1)
  void theAuthorizerAnswersEveryQuestionAsListed() {
    List<String> wrong = new ArrayList<>();
    StringBuilder table = new StringBuilder("| subject | verb | resource | namespace | allowed? |\n"
        + "|---|---|---|---|---|\n");
    for (Ask ask : RBAC) {
      List<String> args = new ArrayList<>(List.of("auth", "can-i", ask.verb()));
      String[] resource = ask.resource().split(" ");
      args.add(resource[0]);
      if (resource.length > 1) {
        args.add("--subresource=" + resource[1]);
      }
      if (ask.namespace().equals("*")) {
        args.add("--all-namespaces");
      } else if (!ask.namespace().equals("-")) {
        args.addAll(List.of("-n", ask.namespace()));
      }
      args.add("--as=" + ask.subject());
      Processes.Result r = cluster.kubectl(args.toArray(String[]::new));
      // the answer is the last line (kubectl may warn before it)
      String[] lines = r.output().strip().split("\n");
      boolean allowed = lines[lines.length - 1].strip().equals("yes");
      table.append("| ").append(ask.subject()).append(" | ").append(ask.verb()).append(" | ")
          .append(ask.resource()).append(" | ").append(ask.namespace()).append(" | ")
          .append(allowed ? "yes" : "no").append(" |\n");
      if (allowed != ask.allowed()) {
        wrong.add(ask + ": " + r.output().strip());
      }
    }
    System.err.println("RBAC as the API server answers it:\n" + table);
    assertThat(wrong).as("answers other than expected").isEmpty();
  }

  @Test
  @Order(2)
  void theOperatorsOwnTokenIsRefusedWhatItDoesNotNeed() throws Exception {
    cluster.kubectlOk("-n", NS, "create", "secret", "generic", "named-by-a-spec",
        "--from-literal=k=v");
    Path operator = cluster.kubeconfigFor(NS, "k3s-etcd-backup");
    assertThat(cluster.kubectlAs(operator, "-n", NS, "get", "secret", "named-by-a-spec")
        .exitCode()).isZero();
    for (String[] refused : List.of(new String[] {"-n", NS, "get", "secrets"},
        new String[] {"-n", "kube-system", "get", "secrets"},
        new String[] {"get", "secrets", "--all-namespaces"},
        new String[] {"-n", TEAM, "get", "etcdsnapshots"},
        new String[] {"-n", "default", "create", "job", "x", "--image=busybox"})) {
      Processes.Result r = cluster.kubectlAs(operator, refused);
      assertThat(r.exitCode()).as(String.join(" ", refused)).isNotZero();
      assertThat(r.output()).as(String.join(" ", refused)).contains("forbidden");
    }
  }

  @Test
  @Order(3)
  void anEditorInAnotherNamespaceCannotMakeTheOperatorRunAJob() throws Exception {
    String resources = """
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: everything, namespace: %1$s}
        spec:
          local: {dir: /var/lib/rancher/k3s/server/db/snapshots}
        ---
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshotSchedule
        metadata: {name: every-minute, namespace: %1$s}
        spec: {schedule: "* * * * *"}
        ---
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdRestore
        metadata: {name: roll-back, namespace: %1$s}
        spec: {snapshot: everything, confirm: true}
        """.formatted(TEAM);
    Path file = cluster.work().resolve("alice.yaml");
    Files.writeString(file, resources);
    Processes.Result created = cluster.kubectl("apply", "-f", file.toString(), "--as=alice");
    assertThat(created.exitCode()).as(created.output()).isZero();
    Processes.Result home = cluster.kubectl("apply", "-f", file.toString(), "--as=alice",
        "-n", NS);
    assertThat(home.exitCode()).isNotZero(); // the manifests name team-a; she may not elsewhere

    // a schedule run (every minute) and a few node scans later
    Thread.sleep(Duration.ofSeconds(75).toMillis());

    JsonNode jobs = json(cluster.kubectlOk("get", "jobs", "--all-namespaces", "-o", "json"));
    for (JsonNode job : jobs.path("items")) {
      assertThat(job.path("metadata").path("namespace").asText()).isEqualTo(NS);
      assertThat(job.path("metadata").path("labels").path("k3sbackup.dev/owner-namespace")
          .asText(NS)).isEqualTo(NS);
    }
    assertThat(cluster.getJson(TEAM, "etcdsnapshot/everything").path("status").isMissingNode())
        .isTrue();
    assertThat(cluster.getJson(TEAM, "etcdrestore/roll-back").path("status").isMissingNode())
        .isTrue();
    assertThat(json(cluster.kubectlOk("-n", TEAM, "get", "etcdsnapshots", "-o", "json"))
        .path("items")).hasSize(1);
  }

  @Test
  @Order(4)
  void aViewerCannotReadTheTokenHashAndARestoreStillChecksTheToken() throws Exception {
    Path token = cluster.server().dataDir().resolve("server/token");
    String hash = ServerTokenHash.fromFile(token).orElseThrow();
    Path withSnapshot = cluster.work().resolve("snap.yaml");
    Files.writeString(withSnapshot, """
        apiVersion: k3sbackup.dev/v1alpha1
        kind: EtcdSnapshot
        metadata: {name: with-token, namespace: %s}
        spec: {}
        """.formatted(NS));
    cluster.kubectlOk("apply", "-f", withSnapshot.toString());
    JsonNode status = awaitPhase("etcdsnapshot/with-token", "Succeeded");

    // everything a viewer can read about it: the resource, its Job and Pods (with their
    // termination messages), the Events, and what the Pods printed
    for (String kind : List.of("etcdsnapshots", "jobs", "pods", "events")) {
      Processes.Result r = cluster.kubectl("-n", NS, "get", kind, "-o", "json", "--as=bob");
      assertThat(r.exitCode()).as(kind + ": " + r.output()).isZero();
      assertThat(r.output()).as(kind).doesNotContain(hash).doesNotContain("tokenHash");
    }
    assertThat(cluster.kubelet().allLogs()).doesNotContain(hash);
    // the hash is on the node, in the snapshot's sidecar, where preflight reads it
    Path sidecar = cluster.server().root().resolve(("var/lib/rancher/k3s/server/db/.metadata/"
        + status.path("snapshotName").asText()));
    assertThat(Files.readString(sidecar)).contains(hash);

    String original = Files.readString(token);
    Files.writeString(token, "K10" + "0".repeat(64) + "::server:another-token\n");
    try {
      Path restore = cluster.work().resolve("restore.yaml");
      Files.writeString(restore, """
          apiVersion: k3sbackup.dev/v1alpha1
          kind: EtcdRestore
          metadata: {name: with-another-token, namespace: %s}
          spec: {snapshot: with-token, confirm: true, safetySnapshot: false}
          """.formatted(NS));
      cluster.kubectlOk("apply", "-f", restore.toString());
      JsonNode failed = awaitPhase("etcdrestore/with-another-token", "Failed");
      assertThat(failed.path("message").asText()).contains("preflight refused the restore, "
          + "nothing was touched").contains("was taken with another server token");
    } finally {
      Files.writeString(token, original);
    }
  }

  private static JsonNode awaitPhase(String kindAndName, String phase) {
    AtomicReference<JsonNode> last = new AtomicReference<>();
    try {
      RealCluster.await(kindAndName + " " + phase, Duration.ofSeconds(180), () -> {
        JsonNode s = cluster.getJson(NS, kindAndName);
        last.set(s);
        return s != null && phase.equals(s.path("status").path("phase").asText());
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
}
