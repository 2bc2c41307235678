package dev.k3sbackup.cli;

import dev.k3sbackup.snapshot.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;

/** Shows bytes done, percentage and rate on one refreshed stderr line, a few times a second. */
public final class TerminalProgress implements ProgressListener {

  private static final long REFRESH_NANOS = 250_000_000L;

  private final PrintWriter err;
  private String phase = "";
  private long expected = -1;
  private long startNanos;
  private long lastPrint;
  private long done;

  public TerminalProgress(PrintWriter err) {
    this.err = err;
  }

  @Override
  public void start(String phase, long expectedBytes) {
    this.phase = phase;
    this.expected = expectedBytes;
    this.startNanos = System.nanoTime();
    this.lastPrint = 0;
    this.done = 0;
  }

  @Override
  public void advance(long bytesDone) {
    done = bytesDone;
    long now = System.nanoTime();
    if (now - lastPrint >= REFRESH_NANOS) {
      lastPrint = now;
      print(now);
    }
  }

  @Override
  public void done() {
    print(System.nanoTime());
    err.print('\n');
    err.flush();
  }

  private void print(long now) {
    double seconds = Math.max((now - startNanos) / 1e9, 1e-3);
    String of = expected > 0
        ? String.format(Locale.ROOT, " of %s (%d%%)", bytes(expected), done * 100 / expected) : "";
    err.print("\r" + phase + ": " + bytes(done) + of + ", " + bytes((long) (done / seconds))
        + "/s   ");
    err.flush();
  }

  /** Human-readable binary units. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
