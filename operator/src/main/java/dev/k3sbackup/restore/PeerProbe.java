package dev.k3sbackup.restore;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

/** Waits, by polling their status servers, until peer agents have finished a step. */
public final class PeerProbe {

  private static final ObjectMapper JSON = new ObjectMapper();

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

  /** The steps {@code agent} reports done; empty when it does not answer. */
  public Set<String> doneSteps(URI agent) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(agent)
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      Set<String> done = new HashSet<>();
      for (JsonNode step : JSON.readTree(r.body()).path("done")) {
        done.add(step.asText());
      }
      return done;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return Set.of();
    }
  }

  /** Blocks until every agent in {@code agents} reports {@code step} done. */
  public void awaitAll(List<URI> agents, String step) {
    Instant deadline = clock.instant().plus(timeout);
    Set<URI> waiting = new HashSet<>(agents);
    while (true) {
      waiting.removeIf(a -> doneSteps(a).contains(step));
      if (waiting.isEmpty()) {
        return;
      }
      if (clock.instant().isAfter(deadline)) {
        throw new RestoreException("waited " + timeout.toMinutes() + " min for " + waiting
            + " to finish step " + step + "; check those nodes' restore Jobs");
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
