package dev.k3sbackup.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The e2e K3s container's stand-in for systemd (test resources k3s/supervise-k3s and
 * k3s/systemctl), checked here where no K3s can run: the scripts run under busybox sh, the shell
 * of the rancher/k3s image, with a stand-in {@code k3s} that only idles until terminated and
 * answers {@code kubectl get --raw=/readyz} after a few refusals. So that the restore agent's
 * {@code systemctl stop k3s} / {@code systemctl start k3s} behave in the container as on a
 * server: stop returns once K3s has exited and keeps it down, start returns once it serves.
 */
class K3sSupervisorIT {

  private static final Path SCRIPTS = Path.of("src/test/resources/k3s").toAbsolutePath();
  private static final String FAKE_K3S = """
      #!/bin/sh
      # k3s, a stand-in: `kubectl ...` fails until its third call (K3s starting), anything else
      # idles like a server until SIGTERM
      dir=$(dirname "$0")
      if [ "$1" = kubectl ]; then
        n=$(cat "$dir/readyz-calls" 2>/dev/null || echo 0)
        n=$((n + 1))
        echo "$n" > "$dir/readyz-calls"
        [ "$n" -ge 3 ]
        exit
      fi
      echo "$$ $*" >> "$dir/started"
      trap 'echo "$$" >> "$dir/terminated"; exit 0' TERM
      while :; do sleep 1; done
      """;

  @TempDir
  Path work;
  private Path state;
  private Path bin;
  private Process supervisor;

  @BeforeEach
  void startTheSupervisor() throws Exception {
    state = Files.createDirectories(work.resolve("state"));
    bin = Files.createDirectories(work.resolve("bin"));
    Files.writeString(bin.resolve("k3s"), FAKE_K3S);
    Files.setPosixFilePermissions(bin.resolve("k3s"), PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> command = new ArrayList<>(shell());
    command.addAll(List.of(SCRIPTS.resolve("supervise-k3s").toString(), "server",
        "--cluster-init"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(work.resolve("supervisor.log").toFile());
    pb.environment().putAll(env());
    supervisor = pb.start();
  }

  @AfterEach
  void stopTheSupervisor() throws Exception {
    Optional<Long> k3s = pid();
    supervisor.destroy();
    supervisor.waitFor(10, TimeUnit.SECONDS);
    supervisor.destroyForcibly();
    k3s.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
  }

  @Test
  void stopEndsK3sAndKeepsItDownAndStartBringsItBackOnceItServes() throws Exception {
    long first = awaitK3s();
    assertThat(Files.readString(bin.resolve("started"))).contains(first + " server --cluster-init");
    assertThat(systemctl("is-active", "k3s")).isEqualTo(new Result(0, "active\n"));

    Result stop = systemctl("stop", "k3s");

    assertThat(stop.exit).as(stop.output).isZero();
    assertThat(Files.readString(bin.resolve("terminated"))).as("K3s got SIGTERM")
        .isEqualTo(first + "\n");
    assertThat(ProcessHandle.of(first)).as("and has exited when stop returns").isEmpty();
    Thread.sleep(3000);
    assertThat(pid()).as("nothing starts K3s again while it is stopped").isEmpty();
    assertThat(systemctl("is-active", "k3s").exit).isEqualTo(3);

    Result start = systemctl("start", "k3s");

    assertThat(start.exit).as(start.output).isZero();
    long second = pid().orElseThrow();
    assertThat(second).isNotEqualTo(first);
    assertThat(Integer.parseInt(Files.readString(bin.resolve("readyz-calls")).strip()))
        .as("start returned only once K3s served /readyz").isEqualTo(3);
  }

  @Test
  void aK3sThatEndsByItselfIsStartedAgain() throws Exception {
    long first = awaitK3s();

    ProcessHandle.of(first).orElseThrow().destroyForcibly();

    long second = Eventually.await("a new K3s", Duration.ofSeconds(10), Duration.ofMillis(200),
        () -> pid().filter(p -> p != first), () -> "pid " + pid());
    assertThat(ProcessHandle.of(second)).isPresent();
  }

  @Test
  void theSupervisorEndsWithK3sOnSigterm() throws Exception {
    long k3s = awaitK3s();

    supervisor.destroy(); // SIGTERM, as docker stop

    assertThat(supervisor.waitFor(10, TimeUnit.SECONDS)).isTrue();
    Eventually.await("K3s to end", Duration.ofSeconds(5), Duration.ofMillis(200),
        () -> ProcessHandle.of(k3s).isEmpty() ? Optional.of(true) : Optional.empty(),
        () -> "pid " + k3s + " still runs");
  }

  @Test
  void onlyTheK3sUnitsStopStartAndIsActiveAreKnown() throws Exception {
    awaitK3s();

    Result restart = systemctl("restart", "k3s");
    Result docker = systemctl("stop", "docker");
    Result bare = systemctl("stop");

    assertThat(restart.exit).isEqualTo(1);
    assertThat(restart.output).contains("does not know 'restart'");
    assertThat(docker.exit).isEqualTo(1);
    assertThat(docker.output).contains("only the k3s unit exists here, not docker");
    assertThat(bare.exit).isEqualTo(1);
    assertThat(pid()).as("K3s still runs").isPresent();
  }

  // ---- helpers ----

  private record Result(int exit, String output) {}

  /** busybox sh, the rancher/k3s image's shell, where installed; else this machine's sh. */
  private static List<String> shell() {
    for (String dir : System.getenv("PATH").split(":")) {
      if (Files.isExecutable(Path.of(dir, "busybox"))) {
        return List.of(Path.of(dir, "busybox").toString(), "sh");
      }
    }
    return List.of("sh");
  }

  private Map<String, String> env() {
    return Map.of("K3S_SUPERVISOR_STATE", state.toString(), "K3S_BIN",
        bin.resolve("k3s").toString(), "PATH", bin + ":" + System.getenv("PATH"));
  }

  private Result systemctl(String... args) throws Exception {
    List<String> command = new ArrayList<>(shell());
    command.add(SCRIPTS.resolve("systemctl").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  private Optional<Long> pid() {
    try {
      return Optional.of(Long.parseLong(Files.readString(state.resolve("pid")).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private long awaitK3s() {
    return Eventually.await("the supervisor to start K3s", Duration.ofSeconds(10),
        Duration.ofMillis(100), this::pid, () -> {
          try {
            return Files.readString(work.resolve("supervisor.log"));
          } catch (IOException e) {
            return e.getMessage();
          }
        });
  }
}
