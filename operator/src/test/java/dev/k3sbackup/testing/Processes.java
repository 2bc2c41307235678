package dev.k3sbackup.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real tools tests lean on (etcd, etcdctl, openssl) and reports their output. */
public final class Processes {

  private Processes() {}

  /** The output and exit code of a finished command. */
  public record Result(int exitCode, String output) {
    public Result requireSuccess(List<String> command) {
      if (exitCode != 0) {
        throw new IllegalStateException(String.join(" ", command) + " exited " + exitCode + ":\n"
            + output);
      }
      return this;
    }
  }

  /** Runs {@code command} to completion (stdout and stderr together), failing on timeout. */
  public static Result run(List<String> command, Map<String, String> env, Path dir) {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().putAll(env);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      Process p = pb.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out");
      }
      return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command.get(0) + " (is it installed? "
          + "`apt-get install -y etcd-server etcd-client openssl`)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static Result run(String... command) {
    return run(List.of(command), Map.of(), null).requireSuccess(List.of(command));
  }

  /** A loopback port nobody listens on right now. */
  /**
   * A port that is free now, for a server started a moment later. It is taken below the
   * kernel's ephemeral range (32768-60999), where the outgoing connections made meanwhile (by
   * this suite's many clients) cannot take it first, and never handed out twice in one run.
   */
  public static int freePort() {
    for (int tries = 0; tries < 200; tries++) {
      int port = 20000 + RANDOM.nextInt(12000);
      if (!HANDED_OUT.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new java.net.InetSocketAddress("0.0.0.0", port));
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port found between 20000 and 32000");
  }

  private static final java.util.Random RANDOM = new java.security.SecureRandom();
  private static final java.util.Set<Integer> HANDED_OUT =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  public static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }
}
