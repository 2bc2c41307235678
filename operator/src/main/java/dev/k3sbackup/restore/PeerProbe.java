package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.contract.RestoreStep;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Waits, by polling their status servers, until peer agents answer or have finished a step;
 * gives up at once when one of them reports that it failed.
 */
public final class PeerProbe {

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * What an agent's status server said.
   *
   * @param answered whether it answered at all
   * @param done the steps it finished
   * @param failed its failed step and message, or null
   */
  public record AgentState(boolean answered, Set<RestoreStep> done, AgentStatus.Failure failed) {
    static final AgentState SILENT = new AgentState(false, Set.of(), null);
  }

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final Clock clock;
  private final Duration timeout;
  private final Duration every;

  /**
   * @param timeout how long to wait for all peers
   * @param every how often to ask
   */
  public PeerProbe(Clock clock, Duration timeout, Duration every) {
    this.clock = clock;
    this.timeout = timeout;
    this.every = every;
  }

  /** What {@code agent} reports; {@link AgentState#SILENT} when it does not answer. */
  public AgentState state(URI agent) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(agent)
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      AgentStatus status = JSON.readValue(r.body(), AgentStatus.class);
      return new AgentState(true, new HashSet<>(status.done()), status.failed());
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return AgentState.SILENT;
    }
  }

  /** Blocks until every agent in {@code agents} reports {@code step} done. */
  public void awaitAll(List<URI> agents, RestoreStep step) {
    await(agents, s -> s.done().contains(step), "finish step " + step);
  }

  /** Blocks until every agent in {@code agents} answers (its Job runs on its node). */
  public void awaitAnswering(List<URI> agents) {
    await(agents, AgentState::answered, "answer (is its restore Job running on its node?)");
  }

  private void await(List<URI> agents, Predicate<AgentState> ready, String what) {
    Instant deadline = clock.instant().plus(timeout);
    Set<URI> waiting = new HashSet<>(agents);
    while (true) {
      for (URI agent : List.copyOf(waiting)) {
        AgentState state = state(agent);
        if (ready.test(state)) {
          waiting.remove(agent);
        } else if (state.failed() != null) {
          throw new RestoreException("the agent at " + agent + " failed (" + state.failed()
              + "), so this one stops here; its node's restore Job says more");
        }
      }
      if (waiting.isEmpty()) {
        return;
      }
      if (clock.instant().isAfter(deadline)) {
        throw new RestoreException("waited " + timeout.toMinutes() + " min for " + waiting
            + " to " + what + "; check those nodes' restore Jobs");
      }
      try {
        Thread.sleep(every.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RestoreException("interrupted while waiting for " + waiting);
      }
    }
  }
}
