package dev.k3sbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OutputFormatTest {

  @Test
  void alignsColumnsLikeK3sTabwriter() {
    String t = OutputFormat.table(List.of("Name", "Location", "Size", "Created"),
        List.of(List.of("a-1", "file:///x/a-1", "10", "2026-01-01T00:00:00Z")));
    assertThat(t).isEqualTo("Name Location      Size Created\n"
        + "a-1  file:///x/a-1 10   2026-01-01T00:00:00Z\n");
  }

  @Test
  void parsesGoStyleDurations() {
    assertThat(dev.k3sbackup.base.GoDuration.parse("--s3-timeout", "5m")).hasMinutes(5);
    assertThat(dev.k3sbackup.base.GoDuration.parse("--s3-timeout", "1h30m")).hasMinutes(90);
    assertThat(dev.k3sbackup.base.GoDuration.parse("--s3-timeout", "30s")).hasSeconds(30);
  }
}
