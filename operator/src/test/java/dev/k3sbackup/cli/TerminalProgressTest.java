package dev.k3sbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class TerminalProgressTest {

  @Test
  void showsBytesPercentAndRateOnOneRefreshedLine() {
    StringWriter err = new StringWriter();
    TerminalProgress progress = new TerminalProgress(new PrintWriter(err));
    progress.start("saving on-demand-n1-1", 4L * 1024 * 1024 * 1024);
    progress.advance(1024L * 1024 * 1024);
    progress.done();
    String shown = err.toString();
    assertThat(shown).startsWith("\rsaving on-demand-n1-1: 1.0 GiB of 4.0 GiB (25%), ")
        .contains("/s").endsWith("\n");
  }

  @Test
  void formatsBinaryUnits() {
    assertThat(TerminalProgress.bytes(512)).isEqualTo("512 B");
    assertThat(TerminalProgress.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(TerminalProgress.bytes(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
  }
}
