package dev.k3sbackup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class S3ConfigTest {

  private static S3Config folder(String folder) {
    return new S3Config(null, null, false, "AK", "SK", "b", null, folder, false, null);
  }

  @Test
  void keysFollowK3sPathJoin() {
    assertThat(folder("").keyOf("s-1")).isEqualTo("s-1");
    assertThat(folder("k3s").keyOf("s-1")).isEqualTo("k3s/s-1");
    assertThat(folder("clusters/prod").metadataKeyOf("s-1"))
        .isEqualTo("clusters/prod/.metadata/s-1");
    assertThat(folder("k3s").locationOf("s-1")).isEqualTo("s3://b/k3s/s-1");
  }

  @Test
  void defaultsAreK3ss() {
    S3Config c = folder(null);
    assertThat(c.endpoint()).isEqualTo("s3.amazonaws.com");
    assertThat(c.region()).isEqualTo("us-east-1");
    assertThat(c.timeout()).hasMinutes(5);
  }

  @Test
  void neverPrintsTheSecret() {
    assertThat(folder("k3s").toString()).doesNotContain("SK").contains("accessKey=set");
  }

  @Test
  void refusesFoldersThatClimbOut() {
    for (String bad : new String[] {"..", "../x", "/abs", "a/", "a//b", "a/./b", ".hidden"}) {
      assertThatThrownBy(() -> folder(bad)).as(bad).hasMessageContaining("--s3-folder");
    }
  }

  @Test
  void keysGoTogether() {
    assertThatThrownBy(() -> new S3Config(null, null, false, "AK", null, "b", null, "", false,
        null)).hasMessageContaining("--s3-access-key and --s3-secret-key go together");
  }
}
