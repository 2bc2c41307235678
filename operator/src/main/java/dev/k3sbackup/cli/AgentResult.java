package dev.k3sbackup.cli;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What a verb run with {@code --result-file} leaves behind, as one line of JSON: the operator
 * reads it from the Job's termination message (Kubernetes keeps at most 4 KiB of it).
 *
 * @param ok whether the verb did what was asked
 * @param kind on failure: BAD_INPUT (nothing was touched, retrying will not help), FAILED, or
 *     UPLOAD_FAILED (saved locally, S3 upload failed)
 * @param message on failure: what went wrong and what to do
 * @param result the verb's result (a save's record, a delete's outcome)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentResult(boolean ok, String kind, String message, Object result) {

  /** Kubernetes truncates termination messages beyond this. */
  static final int MAX_MESSAGE = 1500;

  static AgentResult success(Object result) {
    return new AgentResult(true, null, null, result);
  }

  static AgentResult failure(String kind, String message, Object result) {
    String m = message == null ? "" : message;
    return new AgentResult(false, kind, m.length() > MAX_MESSAGE
        ? m.substring(0, MAX_MESSAGE) + "..." : m, result);
  }
}
