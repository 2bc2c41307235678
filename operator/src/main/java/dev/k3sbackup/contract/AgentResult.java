package dev.k3sbackup.contract;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.k3sbackup.base.FailureKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a node agent run with {@code --result-file} leaves behind, as one line of JSON, and what
 * the operator reads back from the Job's termination message (Kubernetes keeps at most 4 KiB of
 * it). The same record on both sides of the Job boundary: the {@code etcd-snapshot} verbs and the
 * {@code restore-agent} write it, the reconcilers and node scans read it as this type.
 *
 * @param ok whether the verb did what was asked
 * @param kind on failure, why; null on success
 * @param message on failure: what went wrong and what to do
 * @param result the verb's typed result (a save's record, a restore's report, a listing...)
 * @param <T> the result's type
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentResult<T>(boolean ok, FailureKind kind, String message, T result) {

  /** Kubernetes truncates termination messages beyond 4 KiB; a message leaves room for results. */
  public static final int MAX_MESSAGE = 1000;

  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public static <T> AgentResult<T> success(T result) {
    return new AgentResult<>(true, null, null, result);
  }

  /** A failure of {@code kind}; the message is cut to {@link #MAX_MESSAGE}. */
  public static <T> AgentResult<T> failure(FailureKind kind, String message, T result) {
    String m = message == null ? "" : message;
    return new AgentResult<>(false, kind, m.length() > MAX_MESSAGE
        ? m.substring(0, MAX_MESSAGE) + "..." : m, result);
  }

  /** A refusal: nothing was touched, and retrying will not help. */
  public boolean refused() {
    return kind == FailureKind.BAD_INPUT;
  }

  /** The result, once the agent has one (on success, and with some failures). */
  public Optional<T> value() {
    return Optional.ofNullable(result);
  }

  /** One line of JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@link #toJson()} to {@code file}. */
  public void writeTo(Path file) throws IOException {
    Files.writeString(file, toJson());
  }

  /**
   * Reads what a Pod's container left when it terminated: the agent's JSON when it wrote one,
   * else a failure (or success, by exit code) saying what Kubernetes said.
   *
   * @param exitCode the container's exit code
   * @param terminationMessage the termination message, or null
   * @param reason Kubernetes's reason for the termination, or null
   */
  public static <T> AgentResult<T> fromTermination(int exitCode, String terminationMessage,
      String reason, ResultType<T> type) {
    if (terminationMessage != null && terminationMessage.strip().startsWith("{")) {
      try {
        return JSON.readValue(terminationMessage, type.envelope);
      } catch (IOException e) {
        // fall through to the plain reason
      }
    }
    String why = reason == null ? "the agent exited " + exitCode : reason + " (exit "
        + exitCode + ")";
    return new AgentResult<>(exitCode == 0, exitCode == 0 ? null : FailureKind.FAILED,
        terminationMessage == null || terminationMessage.isBlank() ? why : terminationMessage,
        null);
  }

  /**
   * The type of an agent verb's result, for reading it back.
   *
   * @param <T> the result's Java type
   */
  public static final class ResultType<T> {
    private final JavaType envelope;

    private ResultType(JavaType result) {
      this.envelope = JSON.getTypeFactory().constructParametricType(AgentResult.class, result);
    }

    /** A result of class {@code type}. */
    public static <T> ResultType<T> of(Class<T> type) {
      return new ResultType<>(JSON.getTypeFactory().constructType(type));
    }

    /** A result that is a list of {@code element}. */
    public static <E> ResultType<List<E>> listOf(Class<E> element) {
      return new ResultType<>(JSON.getTypeFactory().constructCollectionType(List.class,
          element));
    }
  }
}
