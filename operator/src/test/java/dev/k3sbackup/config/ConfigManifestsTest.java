package dev.k3sbackup.config;

import dev.k3sbackup.api.Labels;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.k3sbackup.api.v1alpha1.EtcdRestore;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshot;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotSchedule;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleSpec;
import dev.k3sbackup.api.v1alpha1.EtcdSnapshotStatus;
import dev.k3sbackup.api.v1alpha1.SnapshotPhase;
import dev.k3sbackup.monitoring.BackupMetrics;
import dev.k3sbackup.operator.ProcessSettings;
import dev.k3sbackup.testing.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * config/: every manifest parses, RBAC is explicit, the Deployment runs two replicas with probes
 * on the paths the operator serves, and the alert rules use only metrics the operator exports.
 */
class ConfigManifestsTest {

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void everyManifestParsesAndNamesItsKind() {
    int docs = 0;
    for (Path file : Manifests.yamlFiles(Manifests.CONFIG)) {
      for (JsonNode doc : Manifests.documents(file)) {
        docs++;
        if (file.getFileName().toString().equals("kustomization.yaml")) {
          assertThat(doc.has("resources")).as(file.toString()).isTrue();
          continue;
        }
        assertThat(doc.path("apiVersion").asText()).as(file + ": apiVersion").isNotBlank();
        assertThat(doc.path("kind").asText()).as(file + ": kind").isNotBlank();
        assertThat(doc.path("metadata").path("name").asText()).as(file + ": metadata.name")
            .isNotBlank();
      }
    }
    assertThat(docs).isGreaterThan(15);
  }

  @Test
  void rbacNamesEveryGroupResourceAndVerbNeverAStar() {
    List<JsonNode> roles = new ArrayList<>(Manifests.ofKind(Manifests.CONFIG, "ClusterRole"));
    roles.addAll(Manifests.ofKind(Manifests.CONFIG, "Role"));
    assertThat(roles).hasSizeGreaterThanOrEqualTo(5);
    for (JsonNode role : roles) {
      for (JsonNode rule : role.path("rules")) {
        for (String field : List.of("apiGroups", "resources", "verbs")) {
          assertThat(texts(rule.path(field))).as(role.path("metadata").path("name") + " " + field)
              .isNotEmpty().doesNotContain("*");
        }
      }
    }
  }

  @Test
  void theOperatorReadsSecretsAndRunsJobsOnlyInItsOwnNamespaceAndNodesClusterWide() {
    JsonNode role = Manifests.named(Manifests.CONFIG, "Role", "k3s-etcd-backup-operator");
    for (JsonNode rule : role.path("rules")) {
      List<String> resources = texts(rule.path("resources"));
      if (resources.contains("configmaps")) {
        assertThat(texts(rule.path("verbs"))).as("ConfigMaps: get only").containsExactly("get");
      }
      if (resources.contains("secrets")) {
        // get (what specs name), and create: each restore's agent token Secret, made here
        assertThat(texts(rule.path("verbs"))).as("Secrets: get, and create only")
            .isSubsetOf("get", "create").doesNotContain("list", "watch", "update", "patch",
                "delete");
      }
    }
    // no ClusterRole of config/ (config/default) grants the operator Secrets, ConfigMaps,
    // Jobs, Pods or our resources cluster-wide: only Nodes
    JsonNode nodes = Manifests.named(Manifests.CONFIG, "ClusterRole",
        "k3s-etcd-backup-operator-nodes");
    assertThat(nodes.path("rules")).hasSize(1);
    assertThat(texts(nodes.path("rules").get(0).path("resources"))).containsExactly("nodes");
    assertThat(texts(nodes.path("rules").get(0).path("verbs")))
        .containsExactlyInAnyOrder("get", "list", "watch");
    for (JsonNode clusterRole : Manifests.ofKind(Manifests.CONFIG, "ClusterRole")) {
      for (JsonNode rule : clusterRole.path("rules")) {
        assertThat(texts(rule.path("resources"))).as(clusterRole.path("metadata")
            .path("name").asText()).doesNotContain("secrets", "configmaps", "jobs", "pods");
      }
    }
    JsonNode binding = Manifests.named(Manifests.CONFIG, "RoleBinding",
        "k3s-etcd-backup-operator");
    assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
  }

  @Test
  void theCrdsHoldNoTokenHashForViewersToRead() throws Exception {
    for (String crd : List.of("etcdsnapshots", "etcdrestores", "etcdsnapshotschedules")) {
      String text = java.nio.file.Files.readString(java.nio.file.Path.of("../crds/" + crd
          + ".k3sbackup.dev-v1.yml"));
      assertThat(text).as(crd).doesNotContain("tokenHash");
    }
  }

  @Test
  void theLeaseRoleGrantsWhatLeaderElectionChecksInTheOperatorsNamespace() {
    JsonNode role = Manifests.named(Manifests.CONFIG, "Role", "k3s-etcd-backup-leader-election");
    JsonNode rule = role.path("rules").get(0);
    assertThat(texts(rule.path("apiGroups"))).containsExactly("coordination.k8s.io");
    assertThat(texts(rule.path("resources"))).containsExactly("leases");
    // patch: fabric8's LeaseLock renews with one (InstallRealClusterIT saw a real API server
    // refuse the renewal without it)
    assertThat(texts(rule.path("verbs"))).containsExactlyInAnyOrder("get", "create", "update",
        "patch");
    JsonNode binding = Manifests.named(Manifests.CONFIG, "RoleBinding",
        "k3s-etcd-backup-leader-election");
    assertThat(binding.path("subjects").get(0).path("name").asText())
        .isEqualTo("k3s-etcd-backup");
  }

  @Test
  void peopleCanViewThroughTheBuiltInViewRoleButEditingIsGrantedExplicitly() {
    JsonNode viewer = Manifests.named(Manifests.CONFIG, "ClusterRole", "k3s-etcd-backup-viewer");
    JsonNode editor = Manifests.named(Manifests.CONFIG, "ClusterRole", "k3s-etcd-backup-editor");

    assertThat(viewer.path("metadata").path("labels")
        .path("rbac.authorization.k8s.io/aggregate-to-view").asText()).isEqualTo("true");
    for (JsonNode rule : viewer.path("rules")) {
      assertThat(texts(rule.path("verbs"))).isSubsetOf("get", "list", "watch");
    }
    assertThat(editor.path("metadata").path("labels").isMissingNode()).as(
        "a snapshot holds every Secret, a restore rolls the cluster back: not for every editor")
        .isTrue();
    assertThat(texts(editor.path("rules").get(0).path("verbs")))
        .contains("create", "delete").doesNotContain("*");
    assertThat(texts(editor.path("rules").get(0).path("resources")))
        .containsExactlyInAnyOrder("etcdsnapshots", "etcdsnapshotschedules", "etcdrestores");
  }

  @Test
  void theNamespaceLetsTheNodeAgentJobsRunWherePodSecurityIsEnforced() {
    JsonNode ns = Manifests.named(Manifests.CONFIG, "Namespace", "k3s-etcd-backup");
    assertThat(ns.path("metadata").path("labels").path("pod-security.kubernetes.io/enforce")
        .asText()).as("restore Jobs are privileged with hostPID; snapshot Jobs use hostPath")
        .isEqualTo("privileged");
  }

  @Test
  void theDeploymentRunsTwoReplicasWithProbesOnTheMetricsPort() {
    JsonNode deployment = Manifests.named(Manifests.CONFIG, "Deployment", "k3s-etcd-backup");
    JsonNode container = deployment.path("spec").path("template").path("spec")
        .path("containers").get(0);
    Map<String, JsonNode> env = new java.util.HashMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(), e));
    JsonNode port = container.path("ports").get(0);

    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(2);
    assertThat(env.get("LEADER_ELECTION").path("value").asText()).isEqualTo("true");
    assertThat(env.get("POD_NAME").path("valueFrom").path("fieldRef").path("fieldPath").asText())
        .isEqualTo("metadata.name");
    assertThat(env.get("OPERATOR_NAMESPACE").path("valueFrom").path("fieldRef")
        .path("fieldPath").asText()).isEqualTo("metadata.namespace");
    assertThat(port.path("name").asText()).isEqualTo("metrics");
    assertThat(port.path("containerPort").asInt()).isEqualTo(ProcessSettings.DEFAULT_PORT)
        .isEqualTo(Integer.parseInt(env.get("METRICS_PORT").path("value").asText()));
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/healthz");
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/readyz");
    for (String probe : List.of("livenessProbe", "readinessProbe")) {
      assertThat(container.path(probe).path("httpGet").path("port").asText()).isEqualTo("metrics");
    }
    assertThat(env.get("LOG_FORMAT").path("value").asText()).isIn("text", "json");

    JsonNode service = Manifests.named(Manifests.CONFIG, "Service", "k3s-etcd-backup-metrics");
    assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
        .isEqualTo("metrics");
    assertThat(service.path("spec").path("selector")).isEqualTo(
        deployment.path("spec").path("selector").path("matchLabels"));
  }

  @Test
  void thePrometheusOperatorsKindsStayOutOfTheDefaultInstall() {
    for (Path file : Manifests.yamlFiles(Manifests.CONFIG.resolve("default"))) {
      assertThat(Manifests.documents(file)).noneMatch(d ->
          d.path("apiVersion").asText().startsWith("monitoring.coreos.com"));
    }
    JsonNode kustomization = Manifests.documents(
        Manifests.CONFIG.resolve("default/kustomization.yaml")).get(0);
    assertThat(texts(kustomization.path("resources"))).noneMatch(r -> r.contains("prometheus"));
  }

  private static final Pattern METRIC = Pattern.compile("\\b(k3s_etcd_backup_[a-z_]+|"
      + "operator_sdk_[a-z_]+)\\b");

  /** The names a running operator exports, with one schedule, snapshot, failure and restore. */
  private static Set<String> exportedNames() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BackupMetrics metrics = new BackupMetrics(registry);
    EtcdSnapshotSchedule schedule = new EtcdSnapshotSchedule();
    schedule.getMetadata().setName("s");
    schedule.getMetadata().setNamespace("ns");
    schedule.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");
    schedule.setSpec(new EtcdSnapshotScheduleSpec());
    schedule.getSpec().drill = new dev.k3sbackup.api.v1alpha1.DrillPolicy();
    schedule.setStatus(new dev.k3sbackup.api.v1alpha1.EtcdSnapshotScheduleStatus());
    schedule.getStatus().lastRestorableTime = "2026-01-01T12:10:00Z";
    EtcdSnapshot child = new EtcdSnapshot();
    child.getMetadata().setName("s-1");
    child.getMetadata().setNamespace("ns");
    child.getMetadata().setLabels(Map.of(Labels.SCHEDULE, "s"));
    child.setStatus(new EtcdSnapshotStatus());
    child.getStatus().phase = SnapshotPhase.Succeeded;
    child.getStatus().startTime = "2026-01-01T12:00:00Z";
    child.getStatus().completionTime = "2026-01-01T12:00:03Z";
    child.getStatus().size = 1L;
    EtcdRestore restore = new EtcdRestore();
    restore.getMetadata().setName("r");
    restore.getMetadata().setNamespace("ns");
    metrics.snapshotFailed(child);
    metrics.refresh(List.of(schedule), List.of(child), List.of(restore),
        Instant.parse("2026-01-02T00:00:00Z"));
    return PrometheusText.parse(registry.scrape()).names();
  }

  @Test
  void theAlertRulesUseOnlyMetricsTheOperatorExports() {
    JsonNode rule = Manifests.named(Manifests.CONFIG.resolve("prometheus"), "PrometheusRule",
        "k3s-etcd-backup");
    Set<String> used = new TreeSet<>();
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : rule.path("spec").path("groups")) {
      for (JsonNode r : group.path("rules")) {
        alerts.add(r.path("alert").asText());
        Matcher m = METRIC.matcher(r.path("expr").asText());
        while (m.find()) {
          used.add(m.group(1));
        }
      }
    }

    assertThat(alerts).contains("EtcdSnapshotScheduleBehind", "EtcdRestoreFailed");
    assertThat(used).contains("k3s_etcd_backup_schedule_last_success_timestamp_seconds",
        "k3s_etcd_backup_schedule_interval_seconds", "k3s_etcd_backup_restore_phase");
    assertThat(exportedNames()).containsAll(used);
  }
}
