package dev.k3sbackup.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs commands on the node's host, as an admin would type them there: in the host's namespaces
 * (through {@code nsenter} into PID 1's, from a privileged Pod with the host's PID namespace) and
 * outside the agent container's cgroups, so that K3s's reset is not bound by the agent's memory
 * limit and a K3s started from here does not belong to the agent's Pod. Every command has a
 * timeout that fires: its output goes to a file while it runs, and one that overstays is killed
 * with its children.
 */
final class HostCommands {

  /** Enter PID 1's namespaces: the host's init, binaries and file systems. */
  static final List<String> NSENTER = List.of("nsenter", "--target", "1", "--mount", "--uts",
      "--ipc", "--net", "--pid", "--");

  /**
   * A shell that moves itself into the root cgroup of every hierarchy (v1 controllers, and v2's
   * unified one) before it becomes the command: the command then runs in the host's context,
   * not in the agent container's cgroups.
   */
  static final List<String> OUTSIDE_CONTAINER_CGROUPS = List.of("sh", "-c",
      "for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do "
          + "[ -w \"$f\" ] && echo $$ > \"$f\" 2>/dev/null; done; exec \"$@\"", "host-command");

  /** How a command ended: its exit code and what it printed (stdout and stderr together). */
  record Result(int exitCode, String output) {}

  private final List<String> prefix;

  /** @param prefix what goes before each command ({@link #NSENTER} and the cgroup escape) */
  HostCommands(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** The real host: the host's namespaces, outside the agent's cgroups. */
  static HostCommands host() {
    List<String> p = new ArrayList<>(NSENTER);
    p.addAll(OUTSIDE_CONTAINER_CGROUPS);
    return new HostCommands(p);
  }

  /**
   * Runs {@code argv} with {@code env} added, waiting at most {@code timeout}; refuses (with
   * {@code what} and the end of the output) a command that cannot start or overstays. The exit
   * code is the caller's to judge.
   */
  Result run(String what, List<String> argv, Map<String, String> env, Duration timeout) {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(argv);
    Path output;
    try {
      output = Files.createTempFile("host-command", ".out");
    } catch (IOException e) {
      throw new RestoreException("cannot run " + what + ": no temporary file (" + e.getMessage()
          + ")");
    }
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(output.toFile());
      pb.environment().putAll(env);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new RestoreException("cannot run " + what + " on the host (" + e.getMessage()
            + "): the agent needs a privileged Pod with the host's PID namespace");
      }
      boolean finished;
      try {
        finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        kill(p);
        throw new RestoreException(what + " was interrupted");
      }
      if (!finished) {
        kill(p);
        throw new RestoreException(what + " did not finish within " + timeout.toSeconds()
            + " s and was killed; its output ends: " + tail(read(output)));
      }
      return new Result(p.exitValue(), read(output));
    } finally {
      try {
        Files.deleteIfExists(output);
      } catch (IOException e) {
        // a temp file left behind
      }
    }
  }

  /** Runs {@code argv} and refuses a non-zero exit with {@code what} and its output's end. */
  String runOk(String what, List<String> argv, Map<String, String> env, Duration timeout) {
    Result r = run(what, argv, env, timeout);
    if (r.exitCode() != 0) {
      throw new RestoreException(what + " exited " + r.exitCode() + ": " + tail(r.output()));
    }
    return r.output();
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The end of a command's output, as much as a message needs. */
  static String tail(String out) {
    String t = out.strip();
    return t.length() > 600 ? "..." + t.substring(t.length() - 600) : t;
  }
}
