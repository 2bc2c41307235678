package dev.k3sbackup.kubectl;

import dev.k3sbackup.cli.TerminalProgress;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Shows a save while the plugin waits for it, on stderr: each phase it is seen in, and the
 * bytes done of the total that the agent reports on {@code status.progress} (one refreshed line
 * on a terminal, a line per change otherwise).
 */
final class SaveProgress implements Consumer<SnapshotView> {

  private final PrintWriter err;
  private final TerminalProgress terminal;
  private String lastPhase;
  private Long lastDone;
  private boolean terminalStarted;

  SaveProgress(PrintWriter err, boolean onTerminal) {
    this.err = err;
    this.terminal = onTerminal ? new TerminalProgress(err) : null;
  }

  @Override
  public void accept(SnapshotView v) {
    if (v == null) {
      return;
    }
    String label = "etcdsnapshot/" + v.resource();
    if (v.bytesDone() != null && !Objects.equals(v.bytesDone(), lastDone)) {
      lastDone = v.bytesDone();
      if (terminal == null) {
        err.println(label + ": " + v.progressLine());
      } else {
        if (!terminalStarted) {
          terminal.start(label + " on " + v.node(), v.bytesTotal() == null ? -1 : v.bytesTotal());
          terminalStarted = true;
        }
        terminal.advance(v.bytesDone());
      }
    }
    if (!v.phase().equals(lastPhase)) {
      lastPhase = v.phase();
      if (terminalStarted && v.terminal()) {
        terminal.done();
      }
      err.println(label + ": " + v.phase() + ("Running".equals(v.phase()) && v.node() != null
          ? " on " + v.node() : ""));
    }
    err.flush();
  }
}
