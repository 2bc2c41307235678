package dev.k3sbackup.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alert rules in config/prometheus judged by Prometheus's own promtool (Debian's prometheus
 * package; scripts/test.sh installs it): they load, and on the series two replicas export
 * (src/test/resources/prometheus/rules-test.yaml) each alert fires exactly when it should.
 */
class PrometheusRuleIT {

  @TempDir
  Path work;

  private static String promtool(Path dir, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new AssertionError("promtool is missing: apt-get install prometheus "
          + "(scripts/test.sh does)", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool " + String.join(" ", args) + ":\n" + out).isZero();
    return out;
  }

  @Test
  void theRulesLoadAndFireExactlyWhenTheyShould() throws Exception {
    var yaml = new ObjectMapper(new YAMLFactory());
    var rule = Manifests.named(Manifests.CONFIG.resolve("prometheus"), "PrometheusRule",
        "k3s-etcd-backup");
    yaml.writeValue(work.resolve("rules.yaml").toFile(), rule.path("spec"));
    Files.copy(Path.of("src/test/resources/prometheus/rules-test.yaml"),
        work.resolve("rules-test.yaml"));

    assertThat(promtool(work, "check", "rules", "rules.yaml")).contains("SUCCESS: 6 rules found");
    assertThat(promtool(work, "test", "rules", "rules-test.yaml")).contains("SUCCESS");
  }
}
