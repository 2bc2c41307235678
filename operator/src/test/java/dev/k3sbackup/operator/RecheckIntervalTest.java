package dev.k3sbackup.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code RECHECK_INTERVAL}: how often the operator looks at everything again. */
class RecheckIntervalTest {

  @Test
  void fiveMinutesUnlessSet() {
    assertThat(OperatorMain.recheckInterval(Map.of())).isEqualTo(Duration.ofMinutes(5));
    assertThat(OperatorMain.recheckInterval(Map.of("RECHECK_INTERVAL", " ")))
        .isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void takesAGoDuration() {
    assertThat(OperatorMain.recheckInterval(Map.of("RECHECK_INTERVAL", "30s")))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(OperatorMain.recheckInterval(Map.of("RECHECK_INTERVAL", "1h30m")))
        .isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void aBadValueIsRefusedNamingTheVariable() {
    assertThatThrownBy(() -> OperatorMain.recheckInterval(Map.of("RECHECK_INTERVAL", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RECHECK_INTERVAL 'soon' is not a positive duration");
    assertThatThrownBy(() -> OperatorMain.recheckInterval(Map.of("RECHECK_INTERVAL", "0s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RECHECK_INTERVAL");
  }
}
