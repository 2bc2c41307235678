package dev.k3sbackup.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/k3s-etcd-backup.yaml, the manifest for plain {@code kubectl apply -f}, must be what
 * {@code kubectl kustomize config/default} makes of config/ now (compared document by document,
 * so kustomize's formatting may differ between versions).
 */
class InstallManifestIT {

  @Test
  void theApplyManifestIsConfigDefaultRendered() throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("kubectl", "kustomize", "../config/default").start();
    } catch (java.io.IOException e) {
      throw new AssertionError("kubectl is missing: it renders config/default", e);
    }
    String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String errors = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize config/default: " + errors).isZero();

    assertThat(Manifests.documents(java.nio.file.Files.readString(Manifests.DEPLOY)))
        .as("deploy/k3s-etcd-backup.yaml is stale: run scripts/update-deploy.sh and commit it")
        .isEqualTo(Manifests.documents(rendered));
  }
}
