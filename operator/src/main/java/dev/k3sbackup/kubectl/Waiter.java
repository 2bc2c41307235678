package dev.k3sbackup.kubectl;

import dev.k3sbackup.base.SnapshotException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Reads a resource again and again until it reaches a state, or a time limit passes. An API
 * server that stops answering (as it does while a restore restarts etcd) is waited for, not
 * reported as a failure; it is mentioned once on stderr.
 */
final class Waiter {

  private final Duration pollEvery;
  private final Duration timeout;
  private final PrintWriter err;

  Waiter(Duration pollEvery, Duration timeout, PrintWriter err) {
    this.pollEvery = pollEvery;
    this.timeout = timeout;
    this.err = err;
  }

  /**
   * Returns the first reading that is {@code done}; {@code seen} gets every reading (null when
   * the resource is gone). On timeout, fails with {@code stillWaiting} of the last reading.
   */
  <T> T until(Supplier<T> read, Predicate<T> done, Consumer<T> seen,
      Function<T, String> stillWaiting) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    boolean apiDown = false;
    while (true) {
      try {
        last = read.get();
        if (apiDown) {
          err.println("the Kubernetes API answers again");
          apiDown = false;
        }
        seen.accept(last);
        if (done.test(last)) {
          return last;
        }
      } catch (KubernetesClientException e) {
        if (!unavailable(e)) {
          throw e;
        }
        if (!apiDown) {
          err.println("the Kubernetes API is not answering (" + PluginCommand.rootCause(e)
              + "); still waiting");
          apiDown = true;
        }
      }
      err.flush();
      if (System.nanoTime() > deadline) {
        throw SnapshotException.failed(stillWaiting.apply(last)
            + " after waiting " + timeout.toString().substring(2).toLowerCase()
            + " (--timeout); the operator goes on without us", null);
      }
      try {
        Thread.sleep(pollEvery.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw SnapshotException.failed("interrupted while waiting", e);
      }
    }
  }

  /** No answer, or a server that cannot answer right now: worth waiting for. */
  private static boolean unavailable(KubernetesClientException e) {
    return e.getCode() <= 0 || e.getCode() == 429 || e.getCode() >= 500;
  }
}
