package dev.k3sbackup.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.k3sbackup.testing.Helm;
import dev.k3sbackup.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart judged by the real Helm (scripts/build-helm.sh) and by kustomize (as built into
 * kubectl): it lints, its generated parts are what scripts/update-chart.sh makes of config/ now,
 * and with default values it renders what {@code kubectl kustomize} makes of config/default and
 * config/default-schedule (and of config/prometheus with the toggles on), document by document.
 *
 * <p>The differences allowed, and why:
 * <ul>
 *   <li>The chart renders no Namespace: Helm keeps its release record in the release's namespace,
 *       so it must exist before the chart's objects ({@code --create-namespace}, or K3s's
 *       manifest, which holds config/'s Namespace before its HelmChart).</li>
 *   <li>Helm's standard labels ({@link #HELM_LABELS}) are added to every object and to the Pod
 *       template; a label config/ sets must be there with its value. Selectors are config/'s.</li>
 *   <li>The CRDs are crds/ as they are: Helm neither templates nor labels crds/. Numbers are
 *       compared by value, as kustomize writes their {@code minimum: 1.0} as {@code 1}.</li>
 *   <li>The default schedule is part of the release: Helm installs crds/ before the templates,
 *       so the schedule's kind is known when it is applied (config/ needs two applies). It is
 *       annotated {@code helm.sh/resource-policy: keep}: helm uninstall must not delete it, as
 *       its snapshots (owned by it) and their files would go with it.</li>
 * </ul>
 */
class HelmChartIT {

  static final String CHART = "charts/k3s-etcd-backup";
  static final String NS = "k3s-etcd-backup";
  static final String EXAMPLE_VALUES = "examples/helm/values-s3-registry-prometheus.yaml";
  static final Set<String> HELM_LABELS = Set.of("helm.sh/chart", "app.kubernetes.io/name",
      "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by");

  static Helm helm;

  @TempDir
  Path work;

  @BeforeAll
  static void findHelm() {
    helm = Helm.find();
  }

  @Test
  void theChartLintsStrictlyWithDefaultValuesAndWithEveryOptionOn() {
    assertThat(helm.ok("lint", "--strict", CHART)).contains("0 chart(s) failed");
    assertThat(helm.ok("lint", "--strict", CHART, "--namespace", NS,
        "--set", "metrics.serviceMonitor.enabled=true",
        "--set", "metrics.prometheusRule.enabled=true",
        "--set", "watchNamespaces={team-a,team-b}",
        "--set", "defaultSchedule.s3.bucket=k3s-backups",
        "--set", "defaultSchedule.s3.credentialsSecret=s3-keys"))
        .contains("0 chart(s) failed");
    // the README's example values file
    assertThat(helm.ok("lint", "--strict", CHART, "--namespace", NS, "-f", EXAMPLE_VALUES))
        .contains("0 chart(s) failed");
    Map<String, JsonNode> example = byKey(template("-f", EXAMPLE_VALUES));
    assertThat(example.get("EtcdSnapshotSchedule/" + NS + "/k3s-default")
        .at("/spec/snapshotTemplate/s3/bucket").asText()).isEqualTo("k3s-backups");
    assertThat(example).containsKeys("ServiceMonitor/" + NS + "/k3s-etcd-backup",
        "PrometheusRule/" + NS + "/k3s-etcd-backup");
  }

  @Test
  void theGeneratedPartsAreWhatUpdateChartMakesOfConfigNow() {
    var r = Processes.run(List.of("bash", "scripts/update-chart.sh", "--check"), Map.of(),
        Helm.repoRoot());
    assertThat(r.exitCode()).as(r.output()).isZero();
  }

  @Test
  void defaultValuesRenderConfigDefaultAndTheDefaultSchedule() {
    Map<String, JsonNode> rendered = byKey(template());
    Map<String, JsonNode> expected = byKey(kustomize("config/default"));
    expected.putAll(byKey(kustomize("config/default-schedule")));

    assertThat(expected.remove("Namespace//" + NS)).as("config/default's Namespace").isNotNull();
    assertThat(rendered.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    assertThat(rendered.keySet()).contains("Deployment/" + NS + "/k3s-etcd-backup",
        "EtcdSnapshotSchedule/" + NS + "/k3s-default",
        "RoleBinding/" + NS + "/k3s-etcd-backup-operator",
        "ClusterRoleBinding//k3s-etcd-backup-operator-nodes",
        "CustomResourceDefinition//etcdsnapshots.k3sbackup.dev");
    // every document that differs, not only the first
    SoftAssertions.assertSoftly(soft -> expected.forEach((key, doc) -> soft.assertThat(
        numbersByValue(withoutHelmLabels(rendered.get(key), doc)))
        .as(key + " as the chart renders it, against config/").isEqualTo(numbersByValue(doc))));
  }

  @Test
  void thePrometheusTogglesRenderConfigPrometheus() {
    Map<String, JsonNode> rendered = byKey(template(
        "--set", "metrics.serviceMonitor.enabled=true",
        "--set", "metrics.prometheusRule.enabled=true"));
    Map<String, JsonNode> expected = byKey(kustomize("config/prometheus"));

    assertThat(expected.keySet()).containsExactlyInAnyOrder(
        "PrometheusRule/" + NS + "/k3s-etcd-backup", "ServiceMonitor/" + NS + "/k3s-etcd-backup");
    expected.forEach((key, doc) -> assertThat(withoutHelmLabels(rendered.get(key), doc))
        .as(key).isEqualTo(doc));
    // off by default: a cluster without the Prometheus operator's CRDs would refuse them
    assertThat(byKey(template()).keySet()).noneMatch(k -> k.startsWith("PrometheusRule/")
        || k.startsWith("ServiceMonitor/"));
  }

  @Test
  void valuesReachTheObjectsTheySay() {
    Map<String, JsonNode> rendered = byKey(template(
        "--set", "image.repository=registry.example.com:5000/k3s-etcd-backup",
        "--set", "image.tag=0.1.1",
        "--set", "image.pullPolicy=Always",
        "--set", "replicas=1",
        "--set", "watchNamespaces={team-a," + NS + "}",
        "--set", "resources.limits.memory=512Mi",
        "--set", "logFormat=json",
        "--set", "defaultSchedule.schedule=0 3 * * *",
        "--set", "defaultSchedule.timeZone=Europe/Berlin",
        "--set", "defaultSchedule.retention=14",
        "--set", "defaultSchedule.namePrefix=nightly",
        "--set", "defaultSchedule.s3.bucket=k3s-backups",
        "--set", "defaultSchedule.s3.endpoint=minio.storage:9000",
        "--set", "defaultSchedule.s3.folder=clusters/prod",
        "--set", "defaultSchedule.s3.region=eu-central-1",
        "--set", "defaultSchedule.s3.insecure=true",
        "--set", "defaultSchedule.s3.credentialsSecret=s3-keys",
        "--set", "metrics.prometheusRule.enabled=true",
        "--set", "metrics.prometheusRule.labels.release=kube-prometheus-stack"));

    JsonNode deployment = rendered.get("Deployment/" + NS + "/k3s-etcd-backup");
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    Map<String, String> env = new LinkedHashMap<>();
    container.path("env").forEach(e -> env.put(e.path("name").asText(),
        e.path("value").asText()));
    assertThat(container.path("image").asText())
        .isEqualTo("registry.example.com:5000/k3s-etcd-backup:0.1.1")
        .isEqualTo(env.get("AGENT_IMAGE"));
    assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(1);
    assertThat(env).containsEntry("WATCH_NAMESPACES", "team-a," + NS)
        .containsEntry("LOG_FORMAT", "json");
    assertThat(container.at("/resources/limits/memory").asText()).isEqualTo("512Mi");
    assertThat(container.at("/resources/requests/cpu").asText()).isEqualTo("50m");
    // the operator's own kinds in team-a (a RoleBinding there); its Jobs and the agent's
    // service account stay in the release's namespace
    assertThat(rendered).containsKeys("RoleBinding/team-a/k3s-etcd-backup-operator-resources",
        "ServiceAccount/" + NS + "/k3s-etcd-backup-agent")
        .doesNotContainKey("ServiceAccount/team-a/k3s-etcd-backup-agent");
    assertThat(rendered.get("RoleBinding/team-a/k3s-etcd-backup-operator-resources")
        .at("/subjects/0/namespace").asText()).isEqualTo(NS);
    assertThat(rendered.get("RoleBinding/team-a/k3s-etcd-backup-operator-resources")
        .at("/roleRef/name").asText()).isEqualTo("k3s-etcd-backup-operator-resources");
    assertThat(byKey(template("--set", "watchNamespaces={*}")))
        .containsKey("ClusterRoleBinding//k3s-etcd-backup-operator-resources");

    JsonNode schedule = rendered.get("EtcdSnapshotSchedule/" + NS + "/k3s-default").path("spec");
    assertThat(schedule.path("schedule").asText()).isEqualTo("0 3 * * *");
    assertThat(schedule.path("timeZone").asText()).isEqualTo("Europe/Berlin");
    assertThat(schedule.path("retention").asInt()).isEqualTo(14);
    assertThat(schedule.at("/snapshotTemplate/namePrefix").asText()).isEqualTo("nightly");
    JsonNode s3 = schedule.at("/snapshotTemplate/s3");
    assertThat(s3.path("bucket").asText()).isEqualTo("k3s-backups");
    assertThat(s3.path("endpoint").asText()).isEqualTo("minio.storage:9000");
    assertThat(s3.path("folder").asText()).isEqualTo("clusters/prod");
    assertThat(s3.path("region").asText()).isEqualTo("eu-central-1");
    assertThat(s3.path("insecure").asBoolean()).isTrue();
    assertThat(s3.at("/credentials/secretName").asText()).isEqualTo("s3-keys");
    assertThat(rendered.get("PrometheusRule/" + NS + "/k3s-etcd-backup")
        .at("/metadata/labels/release").asText()).isEqualTo("kube-prometheus-stack");

    assertThat(rendered.get("EtcdSnapshotSchedule/" + NS + "/k3s-default")
        .at("/metadata/annotations/helm.sh~1resource-policy").asText()).isEqualTo("keep");
    assertThat(byKey(template("--set", "defaultSchedule.keepOnUninstall=false"))
        .get("EtcdSnapshotSchedule/" + NS + "/k3s-default").at("/metadata/annotations")
        .isMissingNode()).isTrue();
    assertThat(byKey(template("--set", "defaultSchedule.enabled=false")).keySet())
        .noneMatch(k -> k.startsWith("EtcdSnapshotSchedule/"));
    assertThat(byKey(template("--set", "metrics.service.enabled=false")).keySet())
        .noneMatch(k -> k.startsWith("Service/"));
  }

  @Test
  void aReleaseInAnotherNamespaceNamesOnlyThatNamespace() {
    List<JsonNode> docs = template("--namespace", "backups");
    List<String> namespaces = new ArrayList<>();
    for (JsonNode doc : docs) {
      if (doc.at("/metadata/namespace").isTextual()) {
        namespaces.add(doc.at("/metadata/namespace").asText());
      }
      doc.path("subjects").forEach(s -> namespaces.add(s.path("namespace").asText()));
    }
    assertThat(namespaces).hasSizeGreaterThan(8).containsOnly("backups");
  }

  @Test
  void valuesOutsideTheSchemaAreRefusedBeforeAnythingRenders() {
    for (String[] bad : List.of(new String[] {"defaultSchedule.retention=0", "minimum"},
        new String[] {"logFormat=xml", "logFormat"},
        new String[] {"defaultSchedule.schedule=every day", "schedule"},
        new String[] {"imag.tag=1", "imag"})) {
      Helm.Result r = helm.run("template", "k3s-etcd-backup", CHART, "--set", bad[0]);
      assertThat(r.exitCode()).as(bad[0]).isNotZero();
      assertThat(r.stderr()).as(bad[0]).contains("schema").contains(bad[1]);
    }
    Helm.Result r = helm.run("template", "k3s-etcd-backup", CHART,
        "--set", "metrics.service.enabled=false", "--set", "metrics.serviceMonitor.enabled=true");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("metrics.serviceMonitor.enabled needs metrics.service.enabled");
  }

  @Test
  void theArchiveInK3sManifestRendersAsTheChartDoes() throws Exception {
    JsonNode chart = Manifests.documents(ChartFilesTest.K3S_MANIFEST).get(1);
    Path tgz = work.resolve("k3s-etcd-backup.tgz");
    Files.write(tgz, Base64.getDecoder().decode(chart.path("spec").path("chartContent")
        .asText()));

    assertThat(helm.ok("lint", "--strict", tgz.toString())).contains("0 chart(s) failed");
    assertThat(helm.ok("template", "k3s-etcd-backup", tgz.toString(), "--namespace", NS))
        .isEqualTo(helm.ok("template", "k3s-etcd-backup", CHART, "--namespace", NS));
  }

  /** {@code helm template} of the chart as release k3s-etcd-backup (in NS unless given). */
  private static List<JsonNode> template(String... args) {
    List<String> command = new ArrayList<>(List.of("template", "k3s-etcd-backup", CHART,
        "--include-crds"));
    if (!List.of(args).contains("--namespace")) {
      command.addAll(List.of("--namespace", NS));
    }
    command.addAll(List.of(args));
    return Manifests.documents(helm.ok(command.toArray(String[]::new)));
  }

  private static List<JsonNode> kustomize(String dir) {
    var r = Processes.run(List.of("kubectl", "kustomize", dir), Map.of(), Helm.repoRoot());
    assertThat(r.exitCode()).as("kubectl kustomize " + dir + ": " + r.output()).isZero();
    return Manifests.documents(r.output());
  }

  /** The documents by kind/namespace/name, each once. */
  private static Map<String, JsonNode> byKey(List<JsonNode> docs) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode d : docs) {
      String key = d.path("kind").asText() + "/" + d.at("/metadata/namespace").asText("") + "/"
          + d.at("/metadata/name").asText();
      assertThat(out.put(key, d)).as("rendered twice: " + key).isNull();
    }
    return out;
  }

  /** {@code doc} with every number as its value (1.0 and 1 alike). */
  private static JsonNode numbersByValue(JsonNode doc) {
    if (doc.isNumber()) {
      return DecimalNode.valueOf(doc.decimalValue().stripTrailingZeros());
    }
    if (doc instanceof ObjectNode object) {
      ObjectNode copy = object.objectNode();
      object.fields().forEachRemaining(f -> copy.set(f.getKey(), numbersByValue(f.getValue())));
      return copy;
    }
    if (doc instanceof ArrayNode array) {
      ArrayNode copy = array.arrayNode();
      array.forEach(e -> copy.add(numbersByValue(e)));
      return copy;
    }
    return doc;
  }

  /**
   * {@code rendered} with the labels Helm adds removed where {@code config} does not set them,
   * on the object and on its Pod template; the labels config/ sets stay, to be compared.
   */
  private static JsonNode withoutHelmLabels(JsonNode rendered, JsonNode config) {
    assertThat(rendered).isNotNull();
    ObjectNode copy = rendered.deepCopy();
    for (String at : List.of("/metadata", "/spec/template/metadata")) {
      if (!(copy.at(at) instanceof ObjectNode meta) || !(meta.get("labels") instanceof ObjectNode
          labels)) {
        continue;
      }
      JsonNode configLabels = config.at(at + "/labels");
      for (String helmLabel : HELM_LABELS) {
        assertThat(labels.has(helmLabel)).as(at + " of " + rendered.at("/metadata/name")
            + " has Helm's label " + helmLabel).isTrue();
        if (!configLabels.has(helmLabel)) {
          labels.remove(helmLabel);
        }
      }
      if (labels.isEmpty()) {
        meta.remove("labels");
      }
    }
    if (copy.at("/metadata/annotations") instanceof ObjectNode annotations
        && !config.at("/metadata/annotations").has("helm.sh/resource-policy")) {
      annotations.remove("helm.sh/resource-policy");
      if (annotations.isEmpty()) {
        ((ObjectNode) copy.get("metadata")).remove("annotations");
      }
    }
    return copy;
  }
}
