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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits, by polling their status servers, until peer agents answer or have finished a step;
 * gives up at once when one of them reports that it failed. Only answers signed for this
 * restore ({@link AgentAuth}) count: anything else is as good as no answer.
 */
public final class PeerProbe {

  private static final Logger LOG = LoggerFactory.getLogger(PeerProbe.class);
  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * What an agent's status server said.
   *
   * @param answered whether it answered at all (for this restore)
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
  private final AgentAuth auth;

  /**
   * @param timeout how long to wait for all peers
   * @param every how often to ask
   * @param auth this restore's id and token
   */
  public PeerProbe(Clock clock, Duration timeout, Duration every, AgentAuth auth) {
    this.clock = clock;
    this.timeout = timeout;
    this.every = every;
    this.auth = auth;
  }

  /** What {@code agent} reports; {@link AgentState#SILENT} when it does not answer for us. */
  public AgentState state(URI agent) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(agent)
          .timeout(Duration.ofSeconds(2))
          .header(AgentAuth.RESTORE_HEADER, auth.restoreId().toString())
          .header("Authorization", "Bearer " + auth.token())
          .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200 || !auth.signed(r.body(),
          r.headers().firstValue(AgentAuth.SIGNATURE_HEADER).orElse(null))) {
        LOG.debug("{} answered {} without this restore's signature", agent, r.statusCode());
        return AgentState.SILENT;
      }
      AgentStatus status = JSON.readValue(r.body(), AgentStatus.class);
      if (!auth.restoreId().equals(status.restore())) {
        return AgentState.SILENT;
      }
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

  /**
   * Waits until each agent has finished {@code step} or failed, at most {@code within}; returns
   * what each said last ({@link AgentState#SILENT} for one that never answered).
   */
  public Map<URI, AgentState> settle(List<URI> agents, RestoreStep step, Duration within) {
    Instant deadline = clock.instant().plus(within);
    Map<URI, AgentState> last = new LinkedHashMap<>();
    while (true) {
      boolean settled = true;
      for (URI agent : agents) {
        AgentState s = state(agent);
        last.put(agent, s);
        settled &= s.done().contains(step) || s.failed() != null;
      }
      if (settled || clock.instant().isAfter(deadline)) {
        return last;
      }
      sleep(List.copyOf(agents));
    }
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
      sleep(List.copyOf(waiting));
    }
  }

  /** How often to ask. */
  Duration every() {
    return every;
  }

  /** How long to wait for all peers. */
  Duration timeout() {
    return timeout;
  }

  private void sleep(List<URI> waiting) {
    try {
      Thread.sleep(every.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RestoreException("interrupted while waiting for " + waiting);
    }
  }
}
