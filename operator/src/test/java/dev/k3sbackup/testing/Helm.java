package dev.k3sbackup.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.opentest4j.TestAbortedException;

/**
 * The real Helm, built from the Go module proxy by {@code scripts/build-helm.sh}: the binary named
 * by the system property {@code helm.bin} (scripts/test.sh sets it), or the one in that script's
 * cache. It runs from the repository's root with Helm's cache, config and data homes in a scratch
 * dir of its own, so that nothing of the machine's Helm is read or written.
 */
public final class Helm {

  /** How a Helm command ended: its exit code, stdout (the YAML of a render) and stderr apart. */
  public record Result(int exitCode, String stdout, String stderr) {
    public String output() {
      return stdout + stderr;
    }
  }

  private final Path binary;
  private final Path home;

  private Helm(Path binary, Path home) {
    this.binary = binary;
    this.home = home;
  }

  /**
   * The Helm binary, or the test aborted with one line saying how to build it (a failure with
   * {@code CI=true}, where no test may be skipped for want of it).
   */
  public static Helm find() {
    Path binary = locate();
    if (binary == null) {
      String line = "Helm tests skipped: no helm binary (bash scripts/build-helm.sh builds it; "
          + "-Dhelm.bin=PATH names it)";
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(line + " (CI=true: these tests must run)");
      }
      System.err.println(line);
      throw new TestAbortedException(line);
    }
    try {
      return new Helm(binary, Files.createTempDirectory("helm-home"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path locate() {
    String given = System.getProperty("helm.bin");
    if (given != null && !given.isBlank()) {
      Path p = Path.of(given);
      return Files.isExecutable(p) ? p : null;
    }
    Path script = repoRoot().resolve("scripts/build-helm.sh");
    if (!Files.isRegularFile(script)) {
      return null;
    }
    var m = Pattern.compile("HELM_VERSION=\\$\\{HELM_VERSION:-([^}]+)}")
        .matcher(Processes.read(script));
    if (!m.find()) {
      throw new IllegalStateException("scripts/build-helm.sh sets no HELM_VERSION");
    }
    String cacheHome = System.getenv("XDG_CACHE_HOME") != null ? System.getenv("XDG_CACHE_HOME")
        : System.getProperty("user.home") + "/.cache";
    Path p = Path.of(cacheHome, "k3s-etcd-backup", "helm-" + m.group(1), "helm");
    return Files.isExecutable(p) ? p : null;
  }

  /** The repository's root (where charts/, config/ and scripts/ are). */
  public static Path repoRoot() {
    Path here = Path.of("").toAbsolutePath();
    return Files.isDirectory(here.resolve("charts")) ? here : here.getParent();
  }

  public Path binary() {
    return binary;
  }

  /** Runs {@code helm args...} from the repository's root; does not fail on a non-zero exit. */
  public Result run(String... args) {
    List<String> command = new ArrayList<>(List.of(binary.toString()));
    command.addAll(List.of(args));
    try {
      Path err = Files.createTempFile(home, "stderr", ".txt");
      ProcessBuilder pb = new ProcessBuilder(command).directory(repoRoot().toFile())
          .redirectError(err.toFile());
      pb.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
      pb.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
      pb.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out");
      }
      String stderr = Files.readString(err);
      Files.delete(err);
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), stderr);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code helm args...} and fails the test unless it exits 0; returns its stdout. */
  public String ok(String... args) {
    Result r = run(args);
    if (r.exitCode() != 0) {
      throw new AssertionError("helm " + String.join(" ", args) + " exited " + r.exitCode()
          + ":\n" + r.output());
    }
    return r.stdout();
  }
}
