package dev.k3sbackup.cli;

import dev.k3sbackup.contract.AgentSettings;
import dev.k3sbackup.snapshot.ProgressListener;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows a running save's progress on its {@code EtcdSnapshot}: the agent merges
 * {@code status.progress} (bytes done of total) every few seconds, and once more at the end.
 * It needs only {@code patch} on {@code etcdsnapshots/status} (the agent service account); when
 * the API cannot be reached the save goes on without it.
 *
 * <p>The patch is one plain HTTP PATCH of the status subresource: fabric8's {@code patch} of a
 * subresource reads the whole resource first, which that account may not (a real API server
 * refused it).
 */
public final class StatusProgressReporter implements ProgressListener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StatusProgressReporter.class);
  private static final long EVERY_NANOS = 2_000_000_000L;

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private long total = -1;
  private long done;
  private long lastSent;
  private boolean failed;

  private StatusProgressReporter(KubernetesClient client, String namespace, String name) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  /**
   * A reporter when the environment names a target; the API is the in-cluster one, or
   * {@code KUBERNETES_MASTER} when set.
   */
  public static Optional<StatusProgressReporter> fromEnv(Map<String, String> env) {
    String target = env.get(AgentSettings.PROGRESS_TARGET_ENV);
    if (target == null || !target.contains("/")) {
      return Optional.empty();
    }
    try {
      Config config = env.containsKey("KUBERNETES_MASTER")
          ? new ConfigBuilder().withMasterUrl(env.get("KUBERNETES_MASTER")).build()
          : Config.autoConfigure(null);
      KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
      String[] parts = target.split("/", 2);
      return Optional.of(new StatusProgressReporter(client, parts[0], parts[1]));
    } catch (RuntimeException e) {
      LOG.debug("no API access for progress reports: {}", e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public void start(String phase, long expectedBytes) {
    total = expectedBytes;
    done = 0;
    send();
  }

  @Override
  public void advance(long bytesDone) {
    done = bytesDone;
    if (System.nanoTime() - lastSent >= EVERY_NANOS) {
      send();
    }
  }

  @Override
  public void done() {
    send();
  }

  private void send() {
    lastSent = System.nanoTime();
    if (failed) {
      return;
    }
    String patch = "{\"status\":{\"progress\":{\"bytesDone\":" + done
        + (total >= 0 ? ",\"bytesTotal\":" + total : "") + "}}}";
    try {
      java.net.URL url = new java.net.URL(client.getMasterUrl(), "apis/k3sbackup.dev/v1alpha1/"
          + "namespaces/" + namespace + "/etcdsnapshots/" + name + "/status");
      HttpRequest request = client.getHttpClient().newHttpRequestBuilder().url(url)
          .method("PATCH", "application/merge-patch+json", patch).build();
      HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class)
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
      if (!response.isSuccessful()) {
        throw new IllegalStateException("HTTP " + response.code() + ": " + response.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failed = true;
    } catch (java.io.IOException | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException | RuntimeException e) {
      failed = true; // one warning, then the save goes on quietly
      LOG.warn("cannot report progress on EtcdSnapshot {}/{}: {}", namespace, name,
          e.getMessage());
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
