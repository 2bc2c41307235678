package dev.k3sbackup.testing;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A kubeconfig file pointing at the test API server, as a user's would point at a cluster. */
public final class Kubeconfig {

  private Kubeconfig() {}

  /** Writes {@code dir/kubeconfig} for the server {@code client} talks to; returns its path. */
  public static Path write(Path dir, KubernetesClient client) throws IOException {
    String server = client.getMasterUrl().toString().replaceAll("/$", "");
    Path file = dir.resolve("kubeconfig");
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: test
          cluster:
            server: %s
        contexts:
        - name: test
          context:
            cluster: test
            user: test
        current-context: test
        users:
        - name: test
          user:
            token: test-token
        """.formatted(server));
    return file;
  }
}
