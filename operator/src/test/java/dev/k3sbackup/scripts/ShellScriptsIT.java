package dev.k3sbackup.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every shell script we ship or test with passes shellcheck: scripts/ (bash), the install test's
 * stand-ins, and the e2e K3s container's supervisor and systemctl stand-in (POSIX sh, as they run
 * under the K3s image's busybox).
 */
class ShellScriptsIT {

  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @Test
  void everyScriptIsShellcheckClean() throws Exception {
    List<String> scripts = new ArrayList<>();
    for (String dir : List.of("scripts", "operator/src/test/resources/install",
        "e2e/src/test/resources/k3s", "operator/bench", "operator/src/main/kubectl",
        "operator/src/main/launcher")) {
      try (Stream<Path> files = Files.walk(REPO.resolve(dir))) {
        files.filter(Files::isRegularFile).filter(ShellScriptsIT::isShellScript)
            .map(p -> REPO.relativize(p).toString()).sorted().forEach(scripts::add);
      }
    }
    assertThat(scripts).contains("scripts/install.sh", "scripts/build-image.sh",
        "operator/bench/snapshot-bench.sh", "operator/src/main/launcher/k3s-etcd-backup.sh",
        "operator/src/test/resources/install/kubectl", "e2e/src/test/resources/k3s/systemctl");

    List<String> command = new ArrayList<>(List.of("shellcheck", "--external-sources"));
    command.addAll(scripts);
    Process p;
    try {
      p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("shellcheck is missing: apt-get install shellcheck "
          + "(scripts/test.sh installs it)", e);
    }
    String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("shellcheck " + String.join(" ", scripts) + "\n" + report)
        .isZero();
  }

  private static boolean isShellScript(Path file) {
    try {
      String first = Files.readAllLines(file).stream().findFirst().orElse("");
      return first.startsWith("#!") && (first.contains("bash") || first.endsWith("/sh"));
    } catch (IOException | java.io.UncheckedIOException e) {
      return false;
    }
  }
}
