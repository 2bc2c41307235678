package dev.k3sbackup.base;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class K3sConfigTest {

  @TempDir
  Path dir;

  @Test
  void theEnvironmentWinsOverTheFlagWhichWinsOverTheDefault() {
    assertThat(K3sConfig.locate(Map.of("K3S_CONFIG_FILE", "/a.yaml"), "/b.yaml"))
        .isEqualTo(Path.of("/a.yaml"));
    assertThat(K3sConfig.locate(Map.of(), "/b.yaml")).isEqualTo(Path.of("/b.yaml"));
    assertThat(K3sConfig.locate(Map.of(), null))
        .isEqualTo(Path.of("/etc/rancher/k3s/config.yaml"));
  }

  @Test
  void dropInsFollowTheFileInNameOrderReplacingOrAppending() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, """
        server: https://10.0.0.1:6443
        token: secret
        etcd-s3: true
        etcd-s3-bucket: first
        tls-san: [a.example]
        node-label: [x=1]
        """);
    Path d = Files.createDirectories(dir.resolve("config.yaml.d"));
    Files.writeString(d.resolve("20-late.yml"), "etcd-s3-bucket: third\n");
    Files.writeString(d.resolve("10-early.yaml"), """
        etcd-s3-bucket: second
        tls-san+: [b.example]
        node-label: [y=2]
        """);
    Files.writeString(d.resolve("README"), "not: read\n");
    Files.createDirectories(d.resolve("sub.yaml"));

    K3sConfig c = K3sConfig.read(file);

    assertThat(c.files()).containsExactly(file, d.resolve("10-early.yaml"),
        d.resolve("20-late.yml"));
    assertThat(c.value("etcd-s3-bucket")).contains("third");
    assertThat(c.values("tls-san")).containsExactly("a.example", "b.example");
    assertThat(c.values("node-label")).containsExactly("y=2");
    assertThat(c.flag(List.of("s3", "etcd-s3"))).contains(true);
    assertThat(c.keys()).containsExactly("server", "token", "etcd-s3", "etcd-s3-bucket",
        "tls-san", "node-label");
    assertThat(c.values("not")).isEmpty();
  }

  @Test
  void noFileAndNoDropInsIsAnEmptyConfiguration() throws Exception {
    K3sConfig c = K3sConfig.read(dir.resolve("absent.yaml"));

    assertThat(c.keys()).isEmpty();
    assertThat(c.files()).isEmpty();
  }

  @Test
  void dropInsAloneAreRead() throws Exception {
    Path d = Files.createDirectories(dir.resolve("config.yaml.d"));
    Files.writeString(d.resolve("snap.yaml"), "etcd-disable-snapshots: true\n");

    assertThat(K3sConfig.read(dir.resolve("config.yaml")).flag(
        List.of("etcd-disable-snapshots"))).contains(true);
  }

  @Test
  void aCopyWithoutTheServerUrlAndWithOverridesReadsBackTheSame() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, """
        server: https://10.0.0.1:6443
        token: secret
        etcd-s3: true
        tls-san: [a.example, b.example]
        """);
    K3sConfig reset = K3sConfig.read(file).with(Set.of("server"), Map.of("etcd-s3", "false"));
    Path copy = dir.resolve("reset.yaml");
    Files.writeString(copy, reset.toYaml());

    K3sConfig back = K3sConfig.read(copy);

    assertThat(back.keys()).containsExactly("token", "etcd-s3", "tls-san");
    assertThat(back.value("token")).contains("secret");
    assertThat(back.flag(List.of("etcd-s3"))).contains(false);
    assertThat(back.values("tls-san")).containsExactly("a.example", "b.example");
  }

  @Test
  void notYamlOrNotAMapIsRefusedNamingTheFile() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, "- just\n- a list\n");

    assertThatThrownBy(() -> K3sConfig.read(file)).hasMessageContaining(file.toString())
        .hasMessageContaining("not a map");
  }

  @Test
  void aBooleanThatIsNotOneIsRefusedNamingTheKey() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, "etcd-s3: maybe\n");

    assertThatThrownBy(() -> K3sConfig.read(file).flag(List.of("etcd-s3")))
        .hasMessageContaining("etcd-s3").hasMessageContaining("maybe");
  }
}
