package dev.k3sbackup.monitoring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.k3sbackup.testing.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The probes answer 200 "ok" or 503 with the reason; only GET and HEAD are served. */
class MetricsServerTest {

  @Test
  void aFailingProbeAnswers503WithItsReasonAndRecovers() throws Exception {
    AtomicReference<MetricsServer.Check> ready = new AtomicReference<>(
        MetricsServer.Check.failing("starting: the caches are not in sync yet"));
    try (MetricsServer server = MetricsServer.start(0, () -> "up 1\n",
        MetricsServer.Check::healthy, ready::get)) {
      var notReady = PrometheusText.get(server.port(), "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).isEqualTo("starting: the caches are not in sync yet\n");
      assertThat(PrometheusText.get(server.port(), "/healthz").statusCode()).isEqualTo(200);

      ready.set(MetricsServer.Check.healthy());
      assertThat(PrometheusText.get(server.port(), "/readyz").statusCode()).isEqualTo(200);
      assertThat(PrometheusText.scrape(server.port()).value("up", java.util.Map.of()))
          .hasValue(1.0);
    }
  }

  @Test
  void onlyGetAndHeadAreServed() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, () -> "up 1\n",
        MetricsServer.Check::healthy, MetricsServer.Check::healthy)) {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
      var post = http.send(HttpRequest.newBuilder(uri)
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      var head = http.send(HttpRequest.newBuilder(uri)
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());

      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(head.statusCode()).isEqualTo(200);
      assertThat(head.body()).isEmpty();
    }
  }

  @Test
  void aFailingScrapeAnswers500AndTheServerGoesOn() throws Exception {
    try (MetricsServer server = MetricsServer.start(0, () -> {
      throw new IllegalStateException("broken");
    }, MetricsServer.Check::healthy, MetricsServer.Check::healthy)) {
      assertThat(PrometheusText.get(server.port(), "/metrics").statusCode()).isEqualTo(500);
      assertThat(PrometheusText.get(server.port(), "/healthz").statusCode()).isEqualTo(200);
    }
  }
}
