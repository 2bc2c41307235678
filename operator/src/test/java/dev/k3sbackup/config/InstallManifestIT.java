package dev.k3sbackup.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/k3s-etcd-backup.yaml and deploy/default-schedule.yaml, the manifests for plain
 * {@code kubectl apply -f}, must be what {@code kubectl kustomize} makes of config/default and
 * config/default-schedule now (compared document by document, so kustomize's formatting may
 * differ between versions).
 */
class InstallManifestIT {

  @Test
  void theApplyManifestIsConfigDefaultRendered() throws Exception {
    assertRendered("config/default", Manifests.DEPLOY);
  }

  @Test
  void theDefaultScheduleManifestIsConfigDefaultScheduleRendered() throws Exception {
    assertRendered("config/default-schedule", Manifests.DEPLOY.resolveSibling(
        "default-schedule.yaml"));
  }

  @Test
  void theAllNamespacesOverlayWidensOnlyOurResourcesAndSaysSo() throws Exception {
    String rendered = render("config/all-namespaces");
    if (rendered == null) {
      return;
    }
    assertThat(rendered).contains("name: WATCH_NAMESPACES").contains("value: '*'")
        .contains("name: k3s-etcd-backup-operator-resources");
    // the Jobs and Secrets stay in the operator's namespace: the same Role as config/default
    assertThat(Manifests.documents(rendered)).containsAll(Manifests.documents(Manifests.DEPLOY)
        .stream().filter(d -> List.of("Role", "RoleBinding").contains(d.path("kind").asText()))
        .toList());
  }

  /** {@code kubectl kustomize config}, or null (the test aborted) without kubectl. */
  private static String render(String config) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("kubectl", "kustomize", "../" + config).start();
    } catch (java.io.IOException e) {
      org.junit.jupiter.api.Assumptions.abort("no kubectl on PATH to render " + config);
      return null;
    }
    String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String errors = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize " + config + ": " + errors).isZero();
    return rendered;
  }

  private static void assertRendered(String config, java.nio.file.Path manifest)
      throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("kubectl", "kustomize", "../" + config).start();
    } catch (java.io.IOException e) {
      // kubectl is no Debian package; where it is missing the drift check cannot run
      System.out.println("InstallManifestIT skipped: no kubectl on PATH to render config/default");
      org.junit.jupiter.api.Assumptions.abort("no kubectl on PATH to render config/default");
      return;
    }
    String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String errors = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize " + config + ": " + errors).isZero();

    assertThat(Manifests.documents(java.nio.file.Files.readString(manifest)))
        .as(manifest + " is stale: run scripts/update-deploy.sh and commit it")
        .isEqualTo(Manifests.documents(rendered));
  }
}
