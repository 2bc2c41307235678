package dev.k3sbackup.kubectl;

import dev.k3sbackup.base.GoDuration;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --wait} and {@code --timeout}, as kubectl names them. */
final class WaitOptions {

  @Option(names = "--wait", arity = "0..1", defaultValue = "true", fallbackValue = "true",
      paramLabel = "true|false",
      description = "Wait until the operator is done, showing progress (default: "
          + "${DEFAULT-VALUE}); --wait=false returns once the resource is created or deleted")
  boolean wait;

  @Option(names = "--timeout", defaultValue = "30m", paramLabel = "DURATION",
      description = "Longest wait, e.g. 90s, 10m (default: ${DEFAULT-VALUE}); the operator goes "
          + "on after it")
  String timeout;

  Duration timeout() {
    return GoDuration.parse("--timeout", timeout);
  }
}
