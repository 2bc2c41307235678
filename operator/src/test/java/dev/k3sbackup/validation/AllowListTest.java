package dev.k3sbackup.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.k3sbackup.api.v1alpha1.LocalStorage;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a spec may point the root node Jobs and the S3 uploads. */
class AllowListTest {

  private static LocalStorage local(String dataDir, String dir) {
    LocalStorage l = new LocalStorage();
    l.dataDir = dataDir;
    l.dir = dir;
    return l;
  }

  @Test
  void byDefaultOnlyUnderK3sDataDir() {
    AllowList a = AllowList.defaults();
    assertThat(a.checkLocal(local(null, null), "spec.local")).isEmpty();
    assertThat(a.checkLocal(local(null, "/var/lib/rancher/k3s/server/db/snap2"), "spec.local"))
        .isEmpty();
    var outside = a.checkLocal(local(null, "/srv/backups"), "spec.local").orElseThrow();
    assertThat(outside.reason()).isEqualTo("DirNotAllowed");
    assertThat(outside.message()).startsWith("spec.local.dir '/srv/backups' lies outside")
        .contains("ALLOWED_SNAPSHOT_DIRS");
    var dataDir = a.checkLocal(local("/opt/k3s", null), "spec.snapshotTemplate.local")
        .orElseThrow();
    assertThat(dataDir.message()).startsWith("spec.snapshotTemplate.local.dataDir '/opt/k3s'")
        .contains("ALLOWED_DATA_DIRS");
    assertThat(a.checkLocal(local(null, "/var/lib/rancher/k3s"), "spec.local")).isPresent();
    assertThat(a.checkEndpoint("evil.example.com", "spec.s3.endpoint")).isEmpty();
  }

  @Test
  void theOperatorsAdminWidensIt() {
    AllowList a = AllowList.fromEnv(Map.of("ALLOWED_DATA_DIRS", "/var/lib/rancher/k3s,/opt/k3s",
        "ALLOWED_SNAPSHOT_DIRS", "/srv/backups", "ALLOWED_S3_ENDPOINTS",
        "s3.amazonaws.com, Minio.Local:9000"));
    assertThat(a.checkLocal(local("/opt/k3s", "/srv/backups/k3s"), "spec.local")).isEmpty();
    assertThat(a.checkEndpoint("minio.local:9000", "spec.s3.endpoint")).isEmpty();
    var refused = a.checkEndpoint("evil.example.com", "spec.s3.endpoint").orElseThrow();
    assertThat(refused.reason()).isEqualTo("EndpointNotAllowed");
    assertThat(refused.message()).startsWith("spec.s3.endpoint 'evil.example.com' is not")
        .contains("ALLOWED_S3_ENDPOINTS");
  }

  @Test
  void refusesASettingThatIsNotADir() {
    assertThatThrownBy(() -> AllowList.fromEnv(Map.of("ALLOWED_SNAPSHOT_DIRS", "/")))
        .hasMessageContaining("ALLOWED_SNAPSHOT_DIRS");
    assertThatThrownBy(() -> AllowList.fromEnv(Map.of("ALLOWED_DATA_DIRS", "k3s")))
        .hasMessageContaining("ALLOWED_DATA_DIRS");
    assertThatThrownBy(() -> AllowList.fromEnv(Map.of("ALLOWED_S3_ENDPOINTS",
        "https://s3.example.com"))).hasMessageContaining("without scheme");
  }
}
