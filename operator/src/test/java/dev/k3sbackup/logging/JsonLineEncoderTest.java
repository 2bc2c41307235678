package dev.k3sbackup.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** LOG_FORMAT=json: one JSON object per line with the MDC's resource fields. */
class JsonLineEncoderTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode encode(LoggingEvent event) throws Exception {
    JsonLineEncoder encoder = new JsonLineEncoder();
    encoder.setContext(new LoggerContext());
    encoder.start();
    String line = new String(encoder.encode(event), StandardCharsets.UTF_8);
    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    assertThat(line.strip()).doesNotContain("\n");
    return JSON.readTree(line);
  }

  @Test
  void aLineCarriesTimeLevelLoggerMessageAndEveryMdcField() throws Exception {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent("fqcn", context.getLogger("dev.k3sbackup.X"),
        Level.WARN, "snapshot {}: \"quoted\"\nsecond line", null, new Object[] {"daily"});
    event.setTimeStamp(Instant.parse("2026-11-21T12:00:00.123Z").toEpochMilli());
    event.setMDCPropertyMap(Map.of("resource.kind", "EtcdSnapshot", "resource.name", "daily",
        "resource.namespace", "backups", "message", "from the MDC"));

    JsonNode line = encode(event);

    assertThat(line.path("time").asText()).isEqualTo("2026-11-21T12:00:00.123Z");
    assertThat(line.path("level").asText()).isEqualTo("WARN");
    assertThat(line.path("logger").asText()).isEqualTo("dev.k3sbackup.X");
    assertThat(line.path("message").asText()).isEqualTo("snapshot daily: \"quoted\"\nsecond line");
    assertThat(line.path("resource.kind").asText()).isEqualTo("EtcdSnapshot");
    assertThat(line.path("resource.name").asText()).isEqualTo("daily");
    assertThat(line.path("resource.namespace").asText()).isEqualTo("backups");
    assertThat(line.path("mdc.message").asText()).as("never hides the line's own message")
        .isEqualTo("from the MDC");
    assertThat(line.has("thread")).isTrue();
    assertThat(line.has("exception")).isFalse();
  }

  @Test
  void anExceptionGoesIntoTheSameLine() throws Exception {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent("fqcn", context.getLogger("x"), Level.ERROR, "boom",
        new IllegalStateException("the cause"), null);
    event.setMDCPropertyMap(Map.of());

    JsonNode line = encode(event);

    assertThat(line.path("exception").asText()).contains("IllegalStateException: the cause")
        .contains("at dev.k3sbackup.logging.JsonLineEncoderTest");
  }

  private static Object encoderOf(Map<String, String> env) {
    LoggerContext context = new LoggerContext();
    StderrLogConfigurator.configure(context, env::get);
    var root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    var appender = (OutputStreamAppender<?>) root.getAppender("stderr");
    return appender.getEncoder();
  }

  @Test
  void logFormatChoosesTheEncoder() {
    assertThat(encoderOf(Map.of("LOG_FORMAT", "json"))).isInstanceOf(JsonLineEncoder.class);
    assertThat(encoderOf(Map.of("LOG_FORMAT", "JSON"))).isInstanceOf(JsonLineEncoder.class);
    assertThat(encoderOf(Map.of())).isInstanceOf(PatternLayoutEncoder.class);
    assertThat(encoderOf(Map.of("LOG_FORMAT", "text"))).isInstanceOf(PatternLayoutEncoder.class);
  }
}
