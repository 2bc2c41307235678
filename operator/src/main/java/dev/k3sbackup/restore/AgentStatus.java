package dev.k3sbackup.restore;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.k3sbackup.contract.RestoreId;
import dev.k3sbackup.contract.RestoreRole;
import dev.k3sbackup.contract.RestoreStep;
import java.util.List;

/**
 * What a restore agent's status server says ({@code GET /}), and what its peers read: the agents'
 * own contract while the API server is down.
 *
 * @param restore the restore it serves (an answer for another restore is not believed)
 * @param node the agent's node
 * @param role its part
 * @param done the steps it finished
 * @param failed the step it failed on, and why; null while none has
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentStatus(RestoreId restore, String node, RestoreRole role,
    List<RestoreStep> done, Failure failed) {

  /** A failed step and its message. */
  public record Failure(RestoreStep step, String message) {
    @Override
    public String toString() {
      return step + ": " + message;
    }
  }

  public AgentStatus {
    done = done == null ? List.of() : List.copyOf(done);
  }

  /** Without a restore id (the steps' own view; the server adds it). */
  public AgentStatus(String node, RestoreRole role, List<RestoreStep> done, Failure failed) {
    this(null, node, role, done, failed);
  }

  /** The same, naming {@code id}. */
  AgentStatus forRestore(RestoreId id) {
    return new AgentStatus(id, node, role, done, failed);
  }
}
