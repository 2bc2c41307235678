package dev.k3sbackup.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * One JSON object per log line: {@code time} (RFC 3339, UTC), {@code level}, {@code logger},
 * {@code message}, then every MDC entry as its own field (JOSDK's {@code resource.kind},
 * {@code resource.namespace}, {@code resource.name}, ... while a reconcile runs), {@code thread},
 * and {@code exception} (the stack trace) when there is one.
 */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<String> OWN = Set.of("time", "level", "logger", "message", "thread",
      "exception");

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    try (JsonGenerator json = JSON.createGenerator(line)) {
      json.writeStartObject();
      json.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("logger", event.getLoggerName());
      json.writeStringField("message", event.getFormattedMessage());
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null) {
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(mdc).entrySet()) {
          // an MDC key never hides one of the line's own fields
          json.writeStringField(OWN.contains(e.getKey()) ? "mdc." + e.getKey() : e.getKey(),
              e.getValue());
        }
      }
      json.writeStringField("thread", event.getThreadName());
      if (event.getThrowableProxy() != null) {
        json.writeStringField("exception", ThrowableProxyUtil.asString(event.getThrowableProxy()));
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    line.write('\n');
    return line.toByteArray();
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
