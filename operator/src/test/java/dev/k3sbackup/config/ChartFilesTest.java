package dev.k3sbackup.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * What of the Helm chart can be judged without Helm: its CRDs are the generated ones, and K3s's
 * manifest of it (deploy/k3s-manifests/, for /var/lib/rancher/k3s/server/manifests/) has the
 * shape K3s's deploy and Helm controllers take, with the chart of this repository inside.
 * HelmChartIT renders the chart itself.
 */
class ChartFilesTest {

  static final Path CHART = Path.of("../charts/k3s-etcd-backup");
  static final Path K3S_MANIFEST = Path.of("../deploy/k3s-manifests/k3s-etcd-backup.yaml");

  @Test
  void theChartsCrdsAreTheGeneratedOnes() throws IOException {
    Map<String, byte[]> generated = filesUnder(Path.of("../crds"), ".yml");
    Map<String, byte[]> inChart = filesUnder(CHART.resolve("crds"), "");

    assertThat(inChart.keySet()).as("charts/k3s-etcd-backup/crds: run scripts/update-chart.sh")
        .isEqualTo(generated.keySet()).hasSize(3);
    generated.forEach((name, bytes) -> assertThat(inChart.get(name))
        .as(name + " differs from crds/: run scripts/update-chart.sh").isEqualTo(bytes));
  }

  @Test
  void theK3sManifestIsTheNamespaceThenAHelmChartInKubeSystem() {
    List<JsonNode> docs = Manifests.documents(K3S_MANIFEST);
    assertThat(docs).hasSize(2);
    JsonNode namespace = docs.get(0);
    JsonNode chart = docs.get(1);

    // the namespace of config/ with its Pod Security labels (the node agent Jobs need them)
    assertThat(namespace).isEqualTo(Manifests.named(Manifests.CONFIG.resolve("manager"),
        "Namespace", "k3s-etcd-backup"));
    assertThat(chart.path("apiVersion").asText()).isEqualTo("helm.cattle.io/v1");
    assertThat(chart.path("kind").asText()).isEqualTo("HelmChart");
    // K3s keeps its HelmCharts in kube-system; the release goes into the target namespace
    assertThat(chart.path("metadata").path("namespace").asText()).isEqualTo("kube-system");
    assertThat(chart.path("metadata").path("name").asText()).isEqualTo("k3s-etcd-backup");
    assertThat(chart.path("spec").path("targetNamespace").asText())
        .isEqualTo(namespace.path("metadata").path("name").asText());
    // the chart inline, not fetched: no repo to reach
    assertThat(chart.path("spec").has("repo")).isFalse();
    assertThat(chart.path("spec").path("chartContent").asText()).isNotBlank();
  }

  @Test
  void theK3sManifestHoldsExactlyTheChartOfThisRepository() throws IOException {
    JsonNode chart = Manifests.documents(K3S_MANIFEST).get(1);
    byte[] tgz = Base64.getDecoder().decode(chart.path("spec").path("chartContent").asText());

    Map<String, byte[]> archived = untar(new GZIPInputStream(new ByteArrayInputStream(tgz)));
    Map<String, byte[]> inRepo = new TreeMap<>();
    filesUnder(CHART, "").forEach((name, bytes) -> inRepo.put("k3s-etcd-backup/" + name, bytes));

    assertThat(archived.keySet()).as("the archive in " + K3S_MANIFEST + " is stale: run "
        + "scripts/update-chart.sh").isEqualTo(inRepo.keySet())
        .contains("k3s-etcd-backup/Chart.yaml", "k3s-etcd-backup/values.yaml",
            "k3s-etcd-backup/values.schema.json",
            "k3s-etcd-backup/crds/etcdsnapshots.k3sbackup.dev-v1.yml",
            "k3s-etcd-backup/templates/deployment.yaml");
    inRepo.forEach((name, bytes) -> assertThat(new String(archived.get(name),
        StandardCharsets.UTF_8)).as(name + " in " + K3S_MANIFEST + " is stale: run "
        + "scripts/update-chart.sh").isEqualTo(new String(bytes, StandardCharsets.UTF_8)));
  }

  /** The regular files under {@code dir} ending in {@code suffix}, by relative path. */
  private static Map<String, byte[]> filesUnder(Path dir, String suffix) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isRegularFile).toList()) {
        String name = dir.relativize(p).toString();
        if (name.endsWith(suffix) && !ignoredByHelm(name)) {
          files.put(name, Files.readAllBytes(p));
        }
      }
    }
    return files;
  }

  /** Editor leftovers, as the chart's .helmignore lists them. */
  private static boolean ignoredByHelm(String name) {
    return name.endsWith(".swp") || name.endsWith(".bak") || name.endsWith(".tmp")
        || name.endsWith("~") || name.endsWith(".DS_Store");
  }

  /** The regular files of a tar stream (ustar, as scripts/update-chart.sh writes it). */
  static Map<String, byte[]> untar(InputStream in) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    byte[] header = new byte[512];
    while (in.readNBytes(header, 0, 512) == 512) {
      if (header[0] == 0) {
        break; // the end-of-archive blocks
      }
      String name = field(header, 0, 100);
      String prefix = field(header, 345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
      long size = Long.parseLong(field(header, 124, 12).trim(), 8);
      char type = (char) header[156];
      byte[] data = in.readNBytes((int) size);
      in.skipNBytes((512 - size % 512) % 512);
      if (type == '0' || type == 0) {
        files.put(name, data);
      }
    }
    return files;
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.US_ASCII);
  }
}
