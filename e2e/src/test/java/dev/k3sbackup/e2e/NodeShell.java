package dev.k3sbackup.e2e;

/** Runs a command on a K3s node, in the host's view (its files, its {@code k3s} binary). */
public interface NodeShell {

  /**
   * @param exitCode the command's exit code
   * @param output what it wrote (stdout and stderr)
   */
  record Result(int exitCode, String output) {}

  /** Runs {@code command} on {@code node} and waits for it. */
  Result run(String node, String... command);

  /** Runs {@code command} on {@code node}; fails the test unless it exits 0. */
  default String check(String node, String... command) {
    Result r = run(node, command);
    if (r.exitCode() != 0) {
      throw new AssertionError("on " + node + ": " + String.join(" ", command) + " exited "
          + r.exitCode() + ":\n" + r.output());
    }
    return r.output();
  }
}
